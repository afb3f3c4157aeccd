package redisstore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stratacache/cache/multilevel"
)

// Options.Lease against real Redis: one server, secured or not, and a
// cluster. The waits here are for outside processes (Redis, a killed
// holder), which no fake clock reaches; multilevel's lease tests time the
// same logic exactly on MemoryStore.

// database is an origin that takes latency to answer and counts its calls
// per key.
type database struct {
	latency time.Duration
	fail    atomic.Bool // the next call fails
	mu      sync.Mutex
	calls   map[int]int
}

func newDatabase(latency time.Duration) *database {
	return &database{latency: latency, calls: make(map[int]int)}
}

var errDatabase = errors.New("database down")

func (d *database) load(_ context.Context, id int) (user, error) {
	d.mu.Lock()
	d.calls[id]++
	d.mu.Unlock()
	time.Sleep(d.latency) // the database's answer time, not a synchronisation
	if d.fail.CompareAndSwap(true, false) {
		return user{}, errDatabase
	}
	return user{ID: id, Name: "db"}, nil
}

func (d *database) loads(id int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[id]
}

func leaseInstances(t *testing.T, srv *redisServer, n int, db *database, wait time.Duration) []*multilevel.Cache[int, user] {
	t.Helper()
	cs := make([]*multilevel.Cache[int, user], n)
	for i := range cs {
		cs[i] = newInstance(t, srv, multilevel.Options[int, user]{Load: db.load,
			Lease: multilevel.LeaseOptions{Enabled: true, Wait: wait}})
	}
	subscribed(t, cs...)
	return cs
}

// rush has callers goroutines per instance read id at once, checks every
// answer, and returns the longest read.
func rush(t *testing.T, cs []*multilevel.Cache[int, user], callers, id int) time.Duration {
	t.Helper()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		slowest time.Duration
	)
	for _, c := range cs {
		for range callers {
			wg.Go(func() {
				start := time.Now()
				u, err := c.Get(context.Background(), id)
				took := time.Since(start)
				if err != nil || u != (user{ID: id, Name: "db"}) {
					t.Errorf("Get(%d) = %+v, %v", id, u, err)
				}
				mu.Lock()
				slowest = max(slowest, took)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	return slowest
}

func leaseTotals(cs []*multilevel.Cache[int, user]) (s multilevel.LeaseStats) {
	for _, c := range cs {
		l := c.Stats().Lease
		s.Acquired += l.Acquired
		s.Waited += l.Waited
		s.Shared += l.Shared
		s.TimedOut += l.TimedOut
	}
	return s
}

// Eight instances, a hundred readers each, miss on the same keys at once:
// the origin is asked once per key.
func TestLeaseOneLoadPerKeyAcrossInstances(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *redisServer) {
		db := newDatabase(20 * time.Millisecond)
		cs := leaseInstances(t, srv, 8, db, 5*time.Second)
		const keys = 3
		for id := range keys {
			rush(t, cs, 100, id)
			if n := db.loads(id); n != 1 {
				t.Errorf("key %d loaded %d times by 8 instances, want 1", id, n)
			}
		}
		if st := leaseTotals(cs); st.Acquired != keys || st.TimedOut != 0 {
			t.Errorf("lease stats %+v: want %d leases and no timeout", st, keys)
		}
	})
}

// A holder whose load fails releases its lease (a script: compare, then
// delete), and a waiting instance takes it over without waiting out
// Lease.Wait.
func TestLeaseReleasedWhenTheLoadFails(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *redisServer) {
		const wait = 5 * time.Second
		db := newDatabase(100 * time.Millisecond)
		cs := leaseInstances(t, srv, 2, db, wait)
		db.fail.Store(true)
		failed := make(chan error, 1)
		go func() {
			_, err := cs[0].Get(context.Background(), 1)
			failed <- err
		}()
		eventually(t, 10*time.Second, "the first instance to take the lease", func() bool {
			return cs[0].Stats().Lease.Acquired == 1
		})
		start := time.Now()
		if u := get(t, cs[1], 1); u.Name != "db" {
			t.Fatalf("the waiting instance got %+v", u)
		}
		if took := time.Since(start); took >= wait {
			t.Errorf("the waiting instance took %v, as if the failed lease had not been released", took)
		}
		if err := <-failed; !errors.Is(err, errDatabase) {
			t.Errorf("the holder's Get returned %v, want the database's error", err)
		}
		if st := cs[1].Stats().Lease; st.Waited != 1 || st.Acquired != 1 || st.TimedOut != 0 {
			t.Errorf("the waiting instance's lease stats %+v: want a wait, then a take-over", st)
		}
	})
}

func TestStoreLeases(t *testing.T) {
	srv := startRedis(t)
	rdb := srv.client(t)
	s := srv.store(t, Options{})
	ctx := context.Background()
	a, b := []byte("lease-a"), []byte("lease-b")
	try := func(lease []byte, want bool) {
		t.Helper()
		if got, err := s.TryLease(ctx, "k", lease, 10*time.Second); got != want || err != nil {
			t.Fatalf("TryLease(%q) = %v, %v; want %v", lease, got, err, want)
		}
	}
	try(a, true)
	if ttl := rdb.PTTL(ctx, "k").Val(); ttl <= 9*time.Second || ttl > 10*time.Second {
		t.Fatalf("the lease lives %v, want 10s", ttl)
	}
	try(b, false)
	if err := s.Release(ctx, "k", b); err != nil {
		t.Fatal(err)
	}
	try(b, false) // b's release did not end a's lease
	if err := s.Release(ctx, "k", a); err != nil {
		t.Fatal(err)
	}
	try(b, true)
	if err := s.Set(ctx, "k", []byte("value"), 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, "k", b); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(ctx, "k"); string(v) != "value" || err != nil {
		t.Fatalf("Get after a release over a value = %q, %v", v, err)
	}
	try(a, false)
}

// The lease holder is killed in the middle of its load, process and all,
// with the lease in Redis: the waiting instances get the value within
// Lease.Wait (and their own load) of when they began.
func TestLeaseHolderProcessKilledMidLoad(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(testing.TB) *redisServer
	}{{"open", startRedis}, {"cluster", startCluster}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := tc.start(t)
			const wait, latency = time.Second, 20 * time.Millisecond
			db := newDatabase(latency)
			cs := leaseInstances(t, srv, 7, db, wait)

			addrs := []string{}
			if srv.cluster != nil {
				addrs = srv.cluster.Addrs()
			} else {
				addrs = append(addrs, srv.addr())
			}
			holder := exec.Command(os.Args[0], "-test.run=^TestLeaseHolderHelperProcess$", "-test.count=1")
			holder.Env = append(os.Environ(), holderEnv+"="+strings.Join(addrs, ","), holderEnv+"_WAIT="+wait.String())
			stdout, err := holder.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			holder.Stderr = &stderr
			if err := holder.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = holder.Process.Kill(); _ = holder.Wait() })
			loading := make(chan bool, 1)
			go func() {
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					if sc.Text() == holderLoading {
						loading <- true
						break
					}
				}
				_, _ = io.Copy(io.Discard, stdout) // until it exits
				close(loading)
			}()
			select {
			case ok := <-loading:
				if !ok {
					t.Fatalf("the holder process ended before it loaded:\n%s", stderr.String())
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("the holder process did not start its load within 30s:\n%s", stderr.String())
			}
			if ttl := srv.client(t).PTTL(context.Background(), "users:1").Val(); ttl <= 0 || ttl > wait {
				t.Fatalf("users:1 lives %v in Redis while the holder loads; want its lease, living at most %v", ttl, wait)
			}

			done := make(chan time.Duration)
			go func() { done <- rush(t, cs, 10, 1) }()
			eventually(t, 10*time.Second, "the 7 instances to wait on the lease", func() bool {
				return leaseTotals(cs).Waited == 7
			})
			if err := holder.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed := time.Now()
			slowest := <-done
			st := leaseTotals(cs)
			t.Logf("lease holder process killed mid-load: the 7 waiting instances answered within %v of starting, %v after the kill; %d loads; lease stats %+v",
				slowest.Round(time.Millisecond), time.Since(killed).Round(time.Millisecond), db.loads(1), st)
			if bound := wait + latency + faultMargin; slowest > bound {
				t.Errorf("the slowest waiting read took %v, more than Lease.Wait and the load (%v)", slowest, bound)
			}
			if st.Shared+st.TimedOut+st.Acquired < 7 {
				t.Errorf("lease stats %+v: every waiting instance must have got the value, timed out, or taken over", st)
			}
		})
	}
}

// The lease holder loses its connection to Redis in the middle of its
// load: it can neither store its value nor release its lease, which the
// others wait out, Lease.Wait at most, before loading the key themselves.
func TestLeaseHolderConnectionCutMidLoad(t *testing.T) {
	srv := startRedis(t)
	const wait, latency = time.Second, 20 * time.Millisecond
	db := newDatabase(latency)
	cs := leaseInstances(t, srv, 7, db, wait)

	px := newProxy(t, srv.addr())
	t.Cleanup(px.Close)
	st, err := New(newClient(t, &redis.Options{Addr: px.addr(), ContextTimeoutEnabled: true,
		DialTimeout: 200 * time.Millisecond, MaxRetries: -1}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	loading, release := make(chan struct{}), make(chan struct{})
	holder := newInstance(t, srv, multilevel.Options[int, user]{Store: st,
		Lease: multilevel.LeaseOptions{Enabled: true, Wait: wait},
		Load: func(ctx context.Context, id int) (user, error) {
			close(loading)
			<-release
			return db.load(ctx, id)
		}})
	held := make(chan error, 1)
	go func() {
		_, err := holder.Get(context.Background(), 1)
		held <- err
	}()
	<-loading

	done := make(chan time.Duration)
	go func() { done <- rush(t, cs, 10, 1) }()
	eventually(t, 10*time.Second, "the 7 instances to wait on the lease", func() bool {
		return leaseTotals(cs).Waited == 7
	})
	px.Close() // the holder's connection, and any new one, fail from now on
	cut := time.Now()
	close(release)
	if err := <-held; err != nil {
		t.Errorf("the holder's Get returned %v; its load succeeded", err)
	}
	slowest := <-done
	lease := leaseTotals(cs)
	t.Logf("lease holder's connection cut mid-load: the 7 waiting instances answered within %v of starting, %v after the cut; %d loads; lease stats %+v",
		slowest.Round(time.Millisecond), time.Since(cut).Round(time.Millisecond), db.loads(1), lease)
	if bound := wait + latency + faultMargin; slowest > bound {
		t.Errorf("the slowest waiting read took %v, more than Lease.Wait and the load (%v)", slowest, bound)
	}
	if hs := holder.Stats().L2; hs.Errors == 0 {
		t.Errorf("the holder's store stats %+v: its write-back should have failed", hs)
	}
}

const (
	holderEnv     = "STRATA_LEASE_HOLDER_ADDRS"
	holderLoading = "lease holder: loading"
)

// TestLeaseHolderHelperProcess is the lease holder of
// TestLeaseHolderProcessKilledMidLoad, run in a process of its own: it
// takes the lease on users:1 and loads forever, until killed. Run by
// go test, without the environment variable, it does nothing.
func TestLeaseHolderHelperProcess(t *testing.T) {
	addrs := os.Getenv(holderEnv)
	if addrs == "" {
		return
	}
	wait, err := time.ParseDuration(os.Getenv(holderEnv + "_WAIT"))
	if err != nil {
		t.Fatal(err)
	}
	list := strings.Split(addrs, ",")
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: list, IsClusterMode: len(list) > 1, ContextTimeoutEnabled: true})
	st, err := New(rdb, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := multilevel.New(multilevel.Options[int, user]{Store: st, Namespace: "users", Timeout: time.Second,
		Lease: multilevel.LeaseOptions{Enabled: true, Wait: wait},
		Load: func(ctx context.Context, _ int) (user, error) {
			fmt.Println(holderLoading)
			<-ctx.Done() // never, unless the process outlives the parent's test
			return user{}, ctx.Err()
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, _ = c.Get(ctx, 1)
}
