package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stratacache/cache"
	"github.com/stratacache/cache/multilevel"
)

// The multilevel scenarios run against a cluster through forEachServer;
// these are the cluster's own: keys spread over its masters, and a master
// killed under traffic.

// clusterInstance is a multilevel cache with a tiny L1 (most Gets reach
// the store) on a cluster client of its own.
func clusterInstance(t *testing.T, srv *redisServer, ld *faultLoad) (*multilevel.Cache[int, user], *Store) {
	t.Helper()
	st := srv.store(t, Options{RetryMin: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond, PingAfter: 300 * time.Millisecond})
	o := multilevel.Options[int, user]{Store: st, Namespace: "faults", Load: ld.load, Timeout: faultTimeout,
		Breaker: multilevel.BreakerOptions{Failures: 3, OpenFor: 100 * time.Millisecond, Probes: 2}}
	o.L1.MaxEntries = 16
	o.L1.TTL = 50 * time.Millisecond
	c, err := multilevel.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, st
}

// One of three masters is killed while two instances read and write keys
// spread over all three. Until its replica has taken over and the clients
// have learnt so, the calls for its slots fail (and, once the cluster
// sees it down, those for every slot, with CLUSTERDOWN); the breaker
// shields the readers, which get the loader's answers. No Get returns an
// error or waits past its store deadlines, Sets fail only with store
// errors and succeed again afterwards, invalidation works across the new
// master, and every key read afterwards is either found intact in the
// promoted replica or reloaded.
func TestClusterMasterKilledUnderTraffic(t *testing.T) {
	srv := startCluster(t)
	ctx := context.Background()
	const keys = 300
	rdb := srv.client(t).(*redis.ClusterClient)
	masterOf := func(id int) string {
		m, err := rdb.MasterForKey(ctx, fmt.Sprintf("faults:%d", id))
		if err != nil {
			t.Fatal(err)
		}
		return m.Options().Addr
	}
	spread := make(map[string]int)
	for id := range keys {
		spread[masterOf(id)]++
	}
	if len(spread) != 3 {
		t.Fatalf("the keys live on %d masters (%v), want all 3", len(spread), spread)
	}

	ld := &faultLoad{}
	a, storeA := clusterInstance(t, srv, ld)
	b, _ := clusterInstance(t, srv, ld)
	subscribed(t, a, b)

	// Traffic: readers on both instances, a writer on a. It ends before
	// the instances close, even when the test fails midway.
	stop := make(chan struct{})
	var (
		wg              sync.WaitGroup
		gets            [2]int64
		slowest         [2]time.Duration
		sets, setErrors atomic.Int64
	)
	end := sync.OnceFunc(func() { close(stop); wg.Wait() })
	t.Cleanup(end)
	for i, c := range []*multilevel.Cache[int, user]{a, b} {
		wg.Go(func() { gets[i], slowest[i] = hammer(t, c, 4, keys, 1<<30, stop) })
	}
	wg.Go(func() {
		pace := time.NewTicker(time.Millisecond) // a steady writer, not a spinning one
		defer pace.Stop()
		for id := 0; ; id = (id + 7) % keys {
			select {
			case <-stop:
				return
			case <-pace.C:
			}
			err := a.Set(ctx, id, user{ID: id, Name: "db"})
			sets.Add(1)
			if err != nil {
				setErrors.Add(1)
				if !strings.HasPrefix(err.Error(), "multilevel: set ") {
					t.Errorf("Set(%d) failed with %v, not a store error", id, err)
				}
			}
		}
	})
	eventually(t, 10*time.Second, "store hits before the kill", func() bool {
		return a.Stats().L2.Hits > 200 && b.Stats().L2.Hits > 200
	})

	victimID := 0
	victim := srv.cluster.MasterOf("faults:0")
	before := a.Stats().L2
	killed := time.Now()
	victim.Kill()

	// The outage of the victim's slots as a client sees it: from the kill
	// to the first answer for one of its keys.
	var answered time.Time
	eventually(t, 20*time.Second, "an answer for a key of the killed master", func() bool {
		callCtx, cancel := context.WithTimeout(ctx, faultTimeout)
		defer cancel()
		_, err := storeA.Get(callCtx, "faults:0")
		if err == nil || errors.Is(err, multilevel.ErrMiss) {
			answered = time.Now()
			return true
		}
		return false
	})
	srv.cluster.WaitHealthy(20 * time.Second)
	healthy := time.Since(killed)
	hits := [2]uint64{a.Stats().L2.Hits, b.Stats().L2.Hits}
	eventually(t, 10*time.Second, "both breakers to close and reads to hit Redis again", func() bool {
		sa, sb := a.Stats(), b.Stats()
		return sa.Breaker == multilevel.BreakerClosed && sb.Breaker == multilevel.BreakerClosed &&
			sa.L2.Hits > hits[0]+100 && sb.L2.Hits > hits[1]+100
	})
	end()
	if t.Failed() {
		return
	}
	during := a.Stats().L2

	// Writes succeed again, on every master, the promoted replica's
	// slots included.
	for id := range keys {
		if err := a.Set(ctx, id, user{ID: id, Name: "db"}); err != nil {
			t.Fatalf("Set(%d) after the failover: %v", id, err)
		}
	}
	// Invalidation across the cluster after the failover.
	received := b.Stats().Invalidation.Received
	if err := a.Set(ctx, victimID, user{ID: victimID, Name: "after"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "b to hear of a's Set", func() bool {
		return b.Stats().Invalidation.Received > received
	})
	if u := get(t, b, victimID); u.Name != "after" {
		t.Fatalf("b reads %+v after a's Set over the new master", u)
	}

	// Every key, read by a fresh instance: found intact, or reloaded from
	// a database that has seen the last write.
	want := func(id int) user {
		if id == victimID {
			return user{ID: id, Name: "after"}
		}
		return user{ID: id, Name: "db"}
	}
	database := cache.LoaderFunc[int, user](func(_ context.Context, id int) (user, error) { return want(id), nil })
	c, _ := clusterInstance(t, srv, &faultLoad{})
	for id := range keys {
		if u, err := c.GetOrLoad(ctx, id, database); err != nil || u != want(id) {
			t.Fatalf("after the failover Get(%d) = %+v, %v; want %+v", id, u, err, want(id))
		}
	}
	st := c.Stats()
	if st.L2.DecodeErrors != 0 || st.L2.Hits+st.Origin.Loads != keys {
		t.Fatalf("after the failover: %d store hits, %d reloads, %d decode errors for %d keys",
			st.L2.Hits, st.Origin.Loads, st.L2.DecodeErrors, keys)
	}

	worst := max(slowest[0], slowest[1])
	t.Logf("cluster failover: healthy again %v after the kill; the killed master's slots answered %v after it; "+
		"%d Gets, slowest %v (bound %v); %d Sets, %d failed; store calls failed %d, rejected by the breaker %d, breaker opened %d times; "+
		"afterwards %d of %d keys found in the store, %d reloaded (%d store misses, %d failed store calls)",
		healthy.Round(time.Millisecond), answered.Sub(killed).Round(time.Millisecond),
		gets[0]+gets[1], worst.Round(time.Millisecond), getBound, sets.Load(), setErrors.Load(),
		during.Errors-before.Errors, during.Rejected-before.Rejected, during.BreakerOpened-before.BreakerOpened,
		st.L2.Hits, keys, st.Origin.Loads, st.L2.Misses, st.L2.Errors)
	if worst > getBound {
		t.Errorf("the slowest Get took %v, more than the bound %v", worst, getBound)
	}
	if during.Errors == before.Errors {
		t.Error("no store call failed: the kill was not noticed")
	}
}
