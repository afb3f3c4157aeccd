package main

import (
	"runtime"
	"testing"
	"time"
)

func TestOthersCPU(t *testing.T) {
	got := othersCPU(50 * time.Millisecond)
	if _, ok := busyTicks(); !ok {
		if got != -1 {
			t.Errorf("othersCPU = %v without /proc/stat, want -1", got)
		}
		return
	}
	// Another process may be anything from idle to all cores busy;
	// measurement noise of a tick each side is allowed for.
	if got < -0.5 || got > float64(2*runtime.NumCPU())+0.5 {
		t.Errorf("othersCPU = %v cores", got)
	}
}
