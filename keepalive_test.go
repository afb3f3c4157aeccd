package cache

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"testing"
)

// collect runs the garbage collector and lets cleanups run, several times.
// Called from user code that a cache method is running (a loader, a compute
// function, a loop body, a reader), it gives the runtime every chance to
// close a Cache whose last reference is the running method's receiver.
func collect() {
	for range 4 {
		runtime.GC()
		runtime.Gosched()
	}
}

// A Cache whose caller dropped every other reference stays open until each
// of its methods returns: the cleanup registered by New must not close it
// under a running call. Each case builds its cache inside the call
// expression, so that the method's receiver is the only reference left.
func TestCacheStaysOpenDuringItsCalls(t *testing.T) {
	ctx := context.Background()
	newFilled := func() *Cache[int, int] {
		c := Must(New(Options[int, int]{Shards: 4}))
		for i := range 64 {
			c.Set(i, i)
		}
		return c
	}
	t.Run("GetOrLoad", func(t *testing.T) {
		v, err := Must(New(Options[int, int]{})).GetOrLoad(ctx, 1, LoaderFunc[int, int](func(ctx context.Context, _ int) (int, error) {
			collect()
			return 7, context.Cause(ctx)
		}))
		if v != 7 || err != nil {
			t.Fatalf("GetOrLoad = %d, %v; want 7, nil", v, err)
		}
	})
	t.Run("GetMany", func(t *testing.T) {
		m, err := Must(New(Options[int, int]{})).GetMany(ctx, []int{1, 2}, BulkLoaderFunc[int, int](func(ctx context.Context, keys []int) (map[int]int, error) {
			collect()
			return map[int]int{1: 1, 2: 2}, context.Cause(ctx)
		}))
		if len(m) != 2 || err != nil {
			t.Fatalf("GetMany = %v, %v; want both keys", m, err)
		}
	})
	t.Run("Compute", func(t *testing.T) {
		v, ok := Must(New(Options[int, int]{})).Compute(1, func(int, bool) (int, Action) {
			collect()
			return 9, ActionSet
		})
		if v != 9 || !ok {
			t.Fatalf("Compute = %d, %v; want 9, true", v, ok)
		}
	})
	t.Run("All", func(t *testing.T) {
		n := 0
		for range newFilled().All() {
			if n%8 == 0 {
				collect()
			}
			n++
		}
		if n != 64 {
			t.Fatalf("All yielded %d of 64 entries", n)
		}
	})
	t.Run("Keys", func(t *testing.T) {
		n := 0
		for range newFilled().Keys() {
			if n%8 == 0 {
				collect()
			}
			n++
		}
		if n != 64 {
			t.Fatalf("Keys yielded %d of 64 keys", n)
		}
	})
	t.Run("Hottest", func(t *testing.T) {
		n := 0
		for range Must(New(Options[int, int]{MaxEntries: 1024, Shards: 4})).fill(64).Hottest(64) {
			if n%8 == 0 {
				collect()
			}
			n++
		}
		if n != 64 {
			t.Fatalf("Hottest yielded %d of 64 entries", n)
		}
	})
	t.Run("SaveSnapshot", func(t *testing.T) {
		var buf bytes.Buffer
		info, err := newFilled().SaveSnapshot(&collectingWriter{w: &buf}, SnapshotOptions{})
		if err != nil || info.Entries != 64 {
			t.Fatalf("SaveSnapshot = %+v, %v; want 64 entries", info, err)
		}
	})
	t.Run("LoadSnapshot", func(t *testing.T) {
		var buf bytes.Buffer
		src := newFilled()
		if _, err := src.SaveSnapshot(&buf, SnapshotOptions{}); err != nil {
			t.Fatal(err)
		}
		src.Close()
		info, err := Must(New(Options[int, int]{})).LoadSnapshot(&collectingReader{r: &buf}, SnapshotOptions{})
		if err != nil || info.Entries != 64 {
			t.Fatalf("LoadSnapshot = %+v, %v; want 64 entries", info, err)
		}
	})
}

func (c *Cache[K, V]) fill(n int) *Cache[K, V] {
	for i := range n {
		var k K
		var v V
		if kk, ok := any(i).(K); ok {
			k = kk
		}
		if vv, ok := any(i).(V); ok {
			v = vv
		}
		c.Set(k, v)
	}
	return c
}

// collectingReader and collectingWriter collect garbage on every call.
type collectingReader struct{ r io.Reader }

func (c *collectingReader) Read(p []byte) (int, error) {
	collect()
	return c.r.Read(p)
}

type collectingWriter struct{ w io.Writer }

func (c *collectingWriter) Write(p []byte) (int, error) {
	collect()
	return c.w.Write(p)
}
