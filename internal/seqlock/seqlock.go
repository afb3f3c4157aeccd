// Package seqlock holds the one step of a sequence lock that depends on
// the processor: a reader's check, after its plain loads, that the
// sequence number it started from is still there.
package seqlock
