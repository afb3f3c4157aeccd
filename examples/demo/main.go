// Command demo puts a Strata cache in front of a deliberately slow backend,
// drives it with skewed (Zipf) traffic from several goroutines for a few
// seconds, and prints what the cache saved.
//
//	go run ./examples/demo [-duration 3s] [-capacity 10000] [-keys 100000]
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratacache/cache"
)

type profile struct {
	ID      uint64
	Name    string
	Visits  int
	Fetched time.Time
}

// backend stands in for a database: every call costs latency.
type backend struct {
	latency time.Duration
	calls   atomic.Int64
}

func (b *backend) fetch(id uint64) profile {
	b.calls.Add(1)
	time.Sleep(b.latency)
	return profile{ID: id, Name: fmt.Sprintf("user-%d", id), Fetched: time.Now()}
}

func main() {
	duration := flag.Duration("duration", 3*time.Second, "how long to drive traffic")
	capacity := flag.Int("capacity", 10_000, "cache capacity in entries")
	keys := flag.Uint64("keys", 100_000, "distinct user ids")
	workers := flag.Int("workers", 8, "concurrent clients")
	latency := flag.Duration("latency", 200*time.Microsecond, "backend latency per call")
	ttl := flag.Duration("ttl", time.Second, "entry lifetime")
	flag.Parse()

	var evicted [cache.NumReasons]atomic.Int64
	c, err := cache.New(cache.Options[uint64, profile]{
		MaxEntries: *capacity,
		TTL:        *ttl,
		OnEvict: func(_ uint64, _ profile, r cache.Reason) {
			evicted[r].Add(1)
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	db := &backend{latency: *latency}

	fmt.Printf("Strata demo: %d workers, %d users (Zipf), cache of %d, TTL %v, backend %v/call, for %v\n",
		*workers, *keys, *capacity, *ttl, *latency, *duration)

	var requests atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			z := rand.NewZipf(rand.New(rand.NewPCG(uint64(w), 7)), 1.1, 1, *keys-1)
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := z.Uint64()
				p, ok := c.Get(id)
				if !ok {
					p = db.fetch(id)
					c.Set(id, p)
				}
				_ = p
				requests.Add(1)
			}
		}()
	}

	start := time.Now()
	tick := time.NewTicker(*duration / 6)
	deadline := time.After(*duration)
loop:
	for {
		select {
		case <-tick.C:
			st := c.Stats()
			fmt.Printf("  %5.1fs  requests %8d  hit ratio %5.1f%%  entries %6d  backend calls %7d\n",
				time.Since(start).Seconds(), requests.Load(), 100*st.HitRatio(), st.Entries, db.calls.Load())
		case <-deadline:
			break loop
		}
	}
	close(stop)
	wg.Wait()
	tick.Stop()
	elapsed := time.Since(start)

	st := c.Stats()
	n := requests.Load()
	calls := db.calls.Load()
	fmt.Println()
	fmt.Printf("requests        %d (%.0f/s)\n", n, float64(n)/elapsed.Seconds())
	fmt.Printf("hit ratio       %.1f%%\n", 100*st.HitRatio())
	fmt.Printf("backend calls   %d of %d requests: %d saved (%.1f%%)\n", calls, n, n-calls, 100*float64(n-calls)/float64(max(n, 1)))
	fmt.Printf("backend time    %v saved at %v a call\n", (time.Duration(n-calls) * *latency).Round(time.Millisecond), *latency)
	fmt.Printf("entries         %d (bound %d)\n", st.Entries, *capacity)
	for r := range cache.NumReasons {
		fmt.Printf("removed %-15v %d\n", r, st.Removed[r])
	}
	c.Close()
}
