// Package replay holds the trace-driven tests of Strata's eviction
// policies: hit-ratio floors and tables from replaying the shared traces
// through one policy (or one climbing group of shards), and warm restarts
// of whole caches. They need the traces ($STRATA_TRACES, or shared/traces
// beside the repository), and skip loudly without them outside CI.
package replay
