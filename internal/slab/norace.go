//go:build !race

package slab

// Outside race-detector builds reads take no lock; see race.go.
const optimisticReads = true
