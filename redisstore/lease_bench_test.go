package redisstore

import (
	"context"
	"crypto/rand"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stratacache/cache/multilevel"
)

// Eight instances (each a multilevel.Cache with its own L1 and its own
// client) over one Redis, or one Redis Cluster, a hundred concurrent
// misses per instance on the same fresh key each round, an origin that
// answers in 5ms: the origin loads per key with and without
// Options.Lease, and the latency of the reads.
func BenchmarkLeaseStampedeRedis(b *testing.B) {
	const instances, callers = 8, 100
	for _, topo := range []struct {
		name  string
		start func(testing.TB) *redisServer
	}{{"redis", startRedis}, {"cluster", startCluster}} {
		srv := topo.start(b)
		for _, on := range []bool{false, true} {
			b.Run(topo.name+"/lease="+strconv.FormatBool(on), func(b *testing.B) {
				db := newDatabase(5 * time.Millisecond)
				ns := freshNamespace("stampede")
				cs := make([]*multilevel.Cache[int, user], instances)
				for i := range cs {
					c, err := multilevel.New(multilevel.Options[int, user]{
						Store: srv.store(b, Options{}), Namespace: ns,
						Load: db.load, Timeout: 250 * time.Millisecond,
						Lease: multilevel.LeaseOptions{Enabled: on, Wait: 2 * time.Second}})
					if err != nil {
						b.Fatal(err)
					}
					b.Cleanup(c.Close)
					cs[i] = c
				}
				// Subscribed, so that a lease's holder wakes the others.
				eventually(b, 10*time.Second, "the subscriptions", func() bool {
					for _, c := range cs {
						if !c.Stats().Invalidation.Subscribed {
							return false
						}
					}
					return true
				})
				var (
					rounds, loads, gets int
					sum, worst          time.Duration
				)
				for b.Loop() {
					s, w := stampedeRound(b, cs, callers, rounds)
					sum, worst = sum+s, max(worst, w)
					loads += db.loads(rounds)
					gets += instances * callers
					rounds++
				}
				b.ReportMetric(float64(loads)/float64(rounds), "loads/key")
				b.ReportMetric(float64(sum.Microseconds())/float64(gets)/1000, "ms/get")
				b.ReportMetric(float64(worst.Microseconds())/1000, "max-ms/get")
				var errs uint64
				for _, c := range cs {
					errs += c.Stats().L2.Errors
				}
				if errs > 0 {
					b.Errorf("%d store errors", errs)
				}
			})
		}
	}
}

// freshNamespace returns a namespace no earlier run used: with -count,
// a benchmark's runs share its server, and must not find each other's
// keys.
func freshNamespace(prefix string) string { return prefix + "-" + rand.Text()[:8] }

// stampedeRound has callers goroutines per instance read id at the same
// moment, and returns the sum and the maximum of their latencies.
func stampedeRound(b *testing.B, cs []*multilevel.Cache[int, user], callers, id int) (sum, worst time.Duration) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
	)
	for _, c := range cs {
		for range callers {
			wg.Go(func() {
				<-start
				t0 := time.Now()
				u, err := c.Get(context.Background(), id)
				d := time.Since(t0)
				if err != nil || u != (user{ID: id, Name: "db"}) {
					b.Errorf("Get(%d) = %+v, %v", id, u, err)
				}
				mu.Lock()
				sum += d
				worst = max(worst, d)
				mu.Unlock()
			})
		}
	}
	close(start)
	wg.Wait()
	return sum, worst
}

// One instance missing on fresh keys, alone, with an instant origin: what
// the lease adds to an uncontended miss (SET NX before the load, and a
// PUBLISH after the write-back).
func BenchmarkLeaseMissRedis(b *testing.B) {
	srv := startRedis(b)
	for _, on := range []bool{false, true} {
		b.Run("lease="+strconv.FormatBool(on), func(b *testing.B) {
			c, err := multilevel.New(multilevel.Options[int64, profile]{
				Store: srv.store(b, Options{}), Namespace: freshNamespace("miss"), Load: loadProfile,
				Lease: multilevel.LeaseOptions{Enabled: on}})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(c.Close)
			ctx := context.Background()
			b.ReportAllocs()
			var i int64
			for b.Loop() {
				if _, err := c.Get(ctx, i); err != nil {
					b.Fatal(err)
				}
				i++
			}
			if st := c.Stats(); st.L2.Errors > 0 {
				b.Fatalf("stats %+v", st.L2)
			}
		})
	}
}
