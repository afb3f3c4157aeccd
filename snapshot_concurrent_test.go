package cache

import (
	"bytes"
	"sync"
	"testing"
)

// A save runs while other goroutines write. Keys nobody writes during the
// save must all be in it, and every saved value must be one that was
// written under its key (value = key*1000 + round).
func TestSnapshotDuringWrites(t *testing.T) {
	clk := newFakeClock()
	c := snapCache(t, clk, Options[int, int]{Shards: 8})
	const stable, busy = 2000, 200
	for k := range stable {
		c.Set(k, k*1000)
	}
	stop := make(chan struct{})
	var wg, started sync.WaitGroup
	started.Add(2)
	for w := range 2 {
		wg.Go(func() {
			for round := 1; ; round++ {
				if round == 2 {
					started.Done() // the save starts once both are writing
				}
				for k := stable + w*busy; k < stable+(w+1)*busy; k++ {
					select {
					case <-stop:
						return
					default:
					}
					if round%3 == 0 {
						c.Delete(k)
					} else {
						c.Set(k, k*1000+round%1000)
					}
				}
			}
		})
	}
	started.Wait()
	var buf bytes.Buffer
	info, err := c.SaveSnapshot(&buf, SnapshotOptions{})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	dst := snapCache(t, clk, Options[int, int]{})
	loaded, err := dst.LoadSnapshot(&buf, SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Entries != info.Entries || info.Entries < stable {
		t.Fatalf("saved %d entries, loaded %d, want equal and at least %d", info.Entries, loaded.Entries, stable)
	}
	for k := range stable {
		if v, ok := dst.Peek(k); !ok || v != k*1000 {
			t.Fatalf("stable key %d: %d, %v", k, v, ok)
		}
	}
	for k, v := range dst.All() {
		if v/1000 != k {
			t.Fatalf("key %d saved with value %d, which was never written under it", k, v)
		}
	}
}
