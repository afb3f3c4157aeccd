package redisstore

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stratacache/cache/codec"
	"github.com/stratacache/cache/multilevel"
)

// The scenarios of the multilevel cache against a real Redis: several
// instances, each with a client of its own, as separate processes would be.
// Each runs against an open server and against one secured as production
// runs Redis (forEachServer).

type user struct {
	ID   int
	Name string
}

// origin is a loader standing for the database: it counts its calls.
type origin struct {
	calls atomic.Int64
	name  string
}

func (o *origin) load(_ context.Context, id int) (user, error) {
	o.calls.Add(1)
	return user{ID: id, Name: o.name}, nil
}

func newInstance(t *testing.T, srv *redisServer, o multilevel.Options[int, user]) *multilevel.Cache[int, user] {
	t.Helper()
	if o.Store == nil {
		o.Store = srv.store(t, Options{RetryMin: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond, PingAfter: 500 * time.Millisecond})
	}
	if o.Namespace == "" {
		o.Namespace = "users"
	}
	if o.Timeout == 0 {
		// Loopback answers in well under a millisecond, but the race
		// detector on a busy two-core machine can stall a goroutine for
		// tens of them.
		o.Timeout = 250 * time.Millisecond
	}
	c, err := multilevel.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func subscribed(t *testing.T, cs ...*multilevel.Cache[int, user]) {
	t.Helper()
	eventually(t, 10*time.Second, "the instances to subscribe", func() bool {
		for _, c := range cs {
			if !c.Stats().Invalidation.Subscribed {
				return false
			}
		}
		return true
	})
}

func get(t *testing.T, c *multilevel.Cache[int, user], id int) user {
	t.Helper()
	u, err := c.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%d): %v", id, err)
	}
	return u
}

func TestWriteOnOneInstanceIsSeenOnAnother(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *redisServer) {
		oa, ob := &origin{name: "db"}, &origin{name: "db"}
		a := newInstance(t, srv, multilevel.Options[int, user]{Load: oa.load})
		b := newInstance(t, srv, multilevel.Options[int, user]{Load: ob.load})
		subscribed(t, a, b)

		if u := get(t, a, 1); u.Name != "db" || oa.calls.Load() != 1 {
			t.Fatalf("a loaded %+v in %d calls", u, oa.calls.Load())
		}
		if u := get(t, b, 1); u.Name != "db" || ob.calls.Load() != 0 {
			t.Fatalf("b got %+v with %d loads; want the value a wrote to Redis", u, ob.calls.Load())
		}

		ctx := context.Background()
		if err := a.Set(ctx, 1, user{ID: 1, Name: "renamed"}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "b to hear of a's Set", func() bool {
			return b.Stats().Invalidation.Received == 1
		})
		if u := get(t, b, 1); u.Name != "renamed" {
			t.Fatalf("b reads %+v after a's Set", u)
		}

		if err := b.Delete(ctx, 1); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "a to hear of b's Delete", func() bool {
			return a.Stats().Invalidation.Received == 1
		})
		if u := get(t, a, 1); u.Name != "db" || oa.calls.Load() != 2 {
			t.Fatalf("a reads %+v after b's Delete, with %d loads; want a fresh load", u, oa.calls.Load())
		}
		if sa, sb := a.Stats().Invalidation, b.Stats().Invalidation; sa.Sent != 1 || sb.Sent != 1 {
			t.Fatalf("sent: a %d, b %d; want 1 each", sa.Sent, sb.Sent)
		}
		a.Close()
		b.Close()
		noReceivers(t)
	})
}

// Redis dies while a load is running and comes back later. Neither
// instance returns an error to its callers meanwhile: they answer from
// their L1 and the loader. Once Redis is back, both resubscribe (clearing
// their L1), their breakers close, and invalidation works again.
func TestRedisDiesMidLoadAndComesBack(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *redisServer) {
		breaker := multilevel.BreakerOptions{Failures: 3, OpenFor: 100 * time.Millisecond, Probes: 2}
		started, release := make(chan struct{}), make(chan struct{})
		var oa origin
		oa.name = "db"
		loadA := func(ctx context.Context, id int) (user, error) {
			if id == 100 {
				close(started)
				<-release
			}
			return oa.load(ctx, id)
		}
		ob := &origin{name: "db"}
		a := newInstance(t, srv, multilevel.Options[int, user]{Load: loadA, Breaker: breaker})
		b := newInstance(t, srv, multilevel.Options[int, user]{Load: ob.load, Breaker: breaker})
		subscribed(t, a, b)
		get(t, a, 1)
		get(t, b, 1) // both L1s hold key 1

		slow := make(chan error, 1)
		go func() {
			u, err := a.Get(context.Background(), 100)
			if err == nil && u.Name != "db" {
				err = fmt.Errorf("got %+v", u)
			}
			slow <- err
		}()
		<-started // the load is running: its store read is done
		srv.kill()
		close(release)
		if err := <-slow; err != nil {
			t.Fatalf("the load interrupted by the crash returned %v", err)
		}

		// Down: every read still answers, from the L1 or the loader.
		for _, c := range []*multilevel.Cache[int, user]{a, b} {
			get(t, c, 1)
			for id := 200; id < 220; id++ {
				if u := get(t, c, id); u.ID != id {
					t.Fatalf("Get(%d) = %+v", id, u)
				}
			}
			st := c.Stats()
			if st.Breaker != multilevel.BreakerOpen || st.L2.Rejected == 0 {
				t.Fatalf("with Redis down: breaker %v, %d rejected calls", st.Breaker, st.L2.Rejected)
			}
		}
		if err := a.Set(context.Background(), 1, user{ID: 1, Name: "lost"}); err == nil {
			t.Fatal("Set with Redis down reported success")
		}
		eventually(t, 10*time.Second, "both subscriptions to notice", func() bool {
			return !a.Stats().Invalidation.Subscribed && !b.Stats().Invalidation.Subscribed
		})

		srv.start() // same port, empty
		next := 300
		eventually(t, 10*time.Second, "both breakers to close and both to resubscribe", func() bool {
			ok := true
			for _, c := range []*multilevel.Cache[int, user]{a, b} {
				next++
				get(t, c, next) // traffic for the probes
				st := c.Stats()
				ok = ok && st.Breaker == multilevel.BreakerClosed && st.Invalidation.Subscribed
			}
			return ok
		})
		for _, c := range []*multilevel.Cache[int, user]{a, b} {
			if st := c.Stats().Invalidation; st.Resyncs != 2 {
				t.Fatalf("%d resyncs, want 2 (start and reconnection)", st.Resyncs)
			}
		}

		// Working again, across instances.
		get(t, b, 1)
		received := b.Stats().Invalidation.Received
		if err := a.Set(context.Background(), 1, user{ID: 1, Name: "after"}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "b to hear of a's Set", func() bool {
			return b.Stats().Invalidation.Received > received
		}, func() string { return fmt.Sprintf("a %+v\nb %+v", a.Stats(), b.Stats()) })
		if u := get(t, b, 1); u.Name != "after" {
			t.Fatalf("b reads %+v after recovery, want a's write", u)
		}
	})
}

// Bytes in Redis that do not decode (garbage, or another codec's) are
// treated as a miss: loaded again, overwritten, counted.
func TestCorruptBytesInRedisAreReplaced(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *redisServer) {
		rdb := srv.client(t)
		ctx := context.Background()
		jsonBytes, _ := codec.JSON[user]().Marshal(user{ID: 2, Name: "json"})
		plant := map[int][]byte{1: []byte("garbage"), 2: jsonBytes, 3: {0xC1, 'S', 1, 1, 0xDF, 0xFF}}
		for id, b := range plant {
			if err := rdb.Set(ctx, fmt.Sprintf("users:%d", id), b, 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		o := &origin{name: "db"}
		c := newInstance(t, srv, multilevel.Options[int, user]{Load: o.load})
		for id := range plant {
			if u := get(t, c, id); u != (user{ID: id, Name: "db"}) {
				t.Fatalf("Get(%d) = %+v", id, u)
			}
			raw, err := rdb.Get(ctx, fmt.Sprintf("users:%d", id)).Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if u, err := codec.Msgpack[user]().Unmarshal(raw); err != nil || u.Name != "db" {
				t.Fatalf("Redis holds %q for %d after the reload (%v)", raw, id, err)
			}
		}
		if st := c.Stats(); st.L2.DecodeErrors != 3 || st.L2.Writes != 3 || o.calls.Load() != 3 {
			t.Fatalf("stats %+v, %d loads", st.L2, o.calls.Load())
		}
	})
}
