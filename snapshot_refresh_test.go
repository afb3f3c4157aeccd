package cache

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// docs/snapshot.md: a loading cache with RefreshAfter counts a record's
// write age towards the next refresh. A value written 5m before the save,
// with RefreshAfter 1m, is stale as soon as it is loaded: the first read
// must start its reload.
func TestSnapshotLoadKeepsWriteAgeForRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := newFakeClock()
		var calls atomic.Int32
		opts := Options[string, int]{
			TTL:          time.Hour,
			RefreshAfter: time.Minute,
			Load: func(context.Context, string) (int, error) {
				calls.Add(1)
				return 2, nil
			},
		}
		src := snapCache(t, clk, opts)
		src.Set("k", 1)
		clk.Advance(5 * time.Minute)
		data := save(t, src)

		dst := snapCache(t, clk, opts)
		if _, err := dst.LoadSnapshot(bytes.NewReader(data), SnapshotOptions{}); err != nil {
			t.Fatal(err)
		}
		if v, ok := dst.Get("k"); !ok || v != 1 {
			t.Fatalf("Get after load = %d, %v; want the saved 1", v, ok)
		}
		synctest.Wait()
		if n := calls.Load(); n != 1 {
			t.Fatalf("a value written 5m ago (RefreshAfter 1m) started %d reloads on its first read after the load, want 1", n)
		}
		if v, _ := dst.Peek("k"); v != 2 {
			t.Fatalf("after the reload the value is %d, want 2", v)
		}
	})
}
