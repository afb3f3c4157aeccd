// Package benchmarks measures Strata side by side with other in-process Go
// caches: otter v2, theine, ristretto v2, golang-lru v2, ttlcache v3 and a
// plain mutex-guarded map.
//
// It is a separate module so that the root module keeps its small
// dependency list. Every cache is driven through one adapter interface,
// [Cache], so that each measurement runs exactly the same code around the
// cache under test. The runner command in cmd/bench produces
// docs/benchmarks.md; `go test -bench .` runs the quick micro-benchmarks.
package benchmarks
