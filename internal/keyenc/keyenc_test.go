package keyenc

import (
	"math"
	"testing"
)

type userID int32
type name string

func roundTrip[K comparable](t *testing.T, keys ...K) {
	t.Helper()
	enc, dec, ok := Defaults[K]()
	if !ok {
		t.Fatalf("%T has no default encoding", keys[0])
	}
	for _, k := range keys {
		got, err := dec(enc(k))
		if err != nil || got != k {
			t.Errorf("%T %v: encoded %q, decoded %v, %v", k, k, enc(k), got, err)
		}
	}
}

func TestDefaultsRoundTrip(t *testing.T) {
	roundTrip(t, "", "a", "ünïcode")
	roundTrip(t, 0, -1, math.MaxInt)
	roundTrip(t, int64(math.MinInt64), int64(7))
	roundTrip(t, uint64(math.MaxUint64), uint64(0))
	roundTrip(t, userID(-5), userID(math.MaxInt32))
	roundTrip(t, name("x"))
	roundTrip(t, uint8(255))
}

func TestDefaultsRejectOtherKinds(t *testing.T) {
	if _, _, ok := Defaults[[2]int](); ok {
		t.Error("arrays have a default encoding")
	}
	if _, _, ok := Defaults[float64](); ok {
		t.Error("floats have a default encoding")
	}
}

// A decimal out of the type's range is an error, not a wrapped value.
func TestDecodeOutOfRange(t *testing.T) {
	_, dec, _ := Defaults[uint8]()
	if _, err := dec("256"); err == nil {
		t.Error("256 decodes as a uint8")
	}
	_, deci, _ := Defaults[userID]()
	if _, err := deci("not a number"); err == nil {
		t.Error("a word decodes as an integer")
	}
}
