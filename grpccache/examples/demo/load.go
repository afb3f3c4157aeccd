package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratacache/cache/multilevel"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// phase is what one run of the load generator measured.
type phase struct {
	calls, notFound, failed int64
	backendCalls            int64
	elapsed                 time.Duration
	latencies               []time.Duration  // sorted
	cache                   multilevel.Stats // the replicas' caches, added up; zero without
}

// percentile returns the latency below which a share q of calls finished.
func (p phase) percentile(q float64) time.Duration {
	if len(p.latencies) == 0 {
		return 0
	}
	i := int(q*float64(len(p.latencies))+0.5) - 1
	return p.latencies[max(0, min(i, len(p.latencies)-1))]
}

// hitRatio returns the share of the cache's lookups answered by the L1
// and by the store; each lookup is one call.
func (p phase) hitRatio() (l1, store float64) {
	lookups := p.cache.L1.Hits + p.cache.L1.Misses
	if lookups == 0 {
		return 0, 0
	}
	return float64(p.cache.L1.Hits) / float64(lookups), float64(p.cache.L2.Hits) / float64(lookups)
}

// drive runs cfg.workers clients against the replicas, each call going to
// the next replica in turn, for cfg.duration or cfg.requests calls,
// printing a progress line every cfg.progress.
func drive(cfg config, replicas []*replica, db *backend, out io.Writer) phase {
	// One context per user, carrying its authorization metadata.
	users := make([]context.Context, cfg.users)
	for u := range users {
		users[u] = metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer user-"+strconv.Itoa(u))
	}
	var (
		issued, calls, notFound, failed atomic.Int64
		stop                            = make(chan struct{})
		wg                              sync.WaitGroup
		mu                              sync.Mutex
		all                             []time.Duration
	)
	more := func() bool {
		select {
		case <-stop:
			return false
		default:
		}
		return cfg.requests == 0 || issued.Add(1) <= cfg.requests
	}
	start := time.Now()
	backendStart := db.calls.Load()
	for w := range cfg.workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 42)) // the same traffic in both phases
			zipf := rand.NewZipf(rng, cfg.zipf, 1, cfg.keys-1)
			var lat []time.Duration
			defer func() {
				mu.Lock()
				all = append(all, lat...)
				mu.Unlock()
			}()
			reply := new(structpb.Struct)
			for i := w; more(); i++ {
				id := "item-" + strconv.FormatUint(zipf.Uint64(), 10)
				if rng.Float64() < cfg.missing {
					id = "gone-" + strconv.FormatUint(zipf.Uint64(), 10)
				}
				conn := replicas[i%len(replicas)].conn
				ctx, cancel := context.WithTimeout(users[rng.IntN(len(users))], 10*time.Second)
				t0 := time.Now()
				err := conn.Invoke(ctx, getItemMethod, wrapperspb.String(id), reply)
				lat = append(lat, time.Since(t0))
				cancel()
				calls.Add(1)
				switch status.Code(err) {
				case codes.OK:
				case codes.NotFound:
					notFound.Add(1)
				default:
					failed.Add(1)
				}
			}
		})
	}
	finished := make(chan struct{})
	go func() {
		wg.Wait()
		close(finished)
	}()

	tick := time.NewTicker(cfg.progress)
	defer tick.Stop()
	var deadline <-chan time.Time
	if cfg.requests == 0 {
		end := time.NewTimer(cfg.duration)
		defer end.Stop()
		deadline = end.C
	}
	last, lastAt := int64(0), start
	for running := true; running; {
		select {
		case now := <-tick.C:
			n := calls.Load()
			fmt.Fprintf(out, "  %5.1fs %10s requests %10s/s   backend calls %10s%s\n",
				now.Sub(start).Seconds(), count(n), count(int64(float64(n-last)/now.Sub(lastAt).Seconds())),
				count(db.calls.Load()-backendStart), liveHitRatio(replicas))
			last, lastAt = n, now
		case <-deadline:
			close(stop)
			deadline = nil
		case <-finished:
			running = false
		}
	}
	slices.Sort(all)
	return phase{
		calls: calls.Load(), notFound: notFound.Load(), failed: failed.Load(),
		elapsed: time.Since(start), latencies: all,
	}
}

// liveHitRatio is the progress line's hit ratio so far, or "" without
// caches.
func liveHitRatio(replicas []*replica) string {
	var p phase
	for _, r := range replicas {
		if r.cache == nil {
			return ""
		}
		p.cache = addStats(p.cache, r.cache.Stats())
	}
	l1, store := p.hitRatio()
	return fmt.Sprintf("   hit ratio %5.1f%%", (l1+store)*100)
}
