package multilevel

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stratacache/cache"
)

// The lease tests run in synctest bubbles: time there moves only when
// every goroutine waits, so the waits they measure are exact.

// origin is a loader standing for a database shared by every instance:
// it takes latency to answer and counts its calls per key.
type origin struct {
	latency time.Duration
	mu      sync.Mutex
	calls   map[string]int
	fail    func(key string, call int) error // nil: never
}

func newOrigin(latency time.Duration) *origin {
	return &origin{latency: latency, calls: make(map[string]int)}
}

func (o *origin) load(ctx context.Context, key string) (string, error) {
	o.mu.Lock()
	o.calls[key]++
	n := o.calls[key]
	o.mu.Unlock()
	time.Sleep(o.latency) // the database's answer time, not a synchronisation
	if o.fail != nil {
		if err := o.fail(key, n); err != nil {
			return "", err
		}
	}
	return "v:" + key, ctx.Err()
}

func (o *origin) loads(key string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.calls[key]
}

// instances returns n caches sharing ms and the namespace "ns", each with
// its own L1, loading from org.
func instances(t *testing.T, n int, ms Store, org *origin, lease LeaseOptions) []*Cache[string, string] {
	t.Helper()
	cs := make([]*Cache[string, string], n)
	for i := range cs {
		cs[i] = mustNew(t, Options[string, string]{Store: ms, Namespace: "ns", Load: org.load, Lease: lease})
	}
	return cs
}

// stampede runs callers goroutines per instance, all reading key at once,
// and returns the longest any of them took. Every read must return the
// origin's value.
func stampede(t *testing.T, cs []*Cache[string, string], callers int, key string) time.Duration {
	t.Helper()
	var (
		wg      sync.WaitGroup
		slowest atomic.Int64
	)
	for _, c := range cs {
		for range callers {
			wg.Go(func() {
				start := time.Now()
				v, err := c.Get(context.Background(), key)
				if err != nil || v != "v:"+key {
					t.Errorf("Get(%q) = %q, %v", key, v, err)
				}
				d := int64(time.Since(start))
				for old := slowest.Load(); d > old && !slowest.CompareAndSwap(old, d); old = slowest.Load() {
				}
			})
		}
	}
	wg.Wait()
	return time.Duration(slowest.Load())
}

func sumLease(cs []*Cache[string, string]) (s LeaseStats) {
	for _, c := range cs {
		l := c.Stats().Lease
		s.Acquired += l.Acquired
		s.Waited += l.Waited
		s.Shared += l.Shared
		s.TimedOut += l.TimedOut
	}
	return s
}

// Eight instances miss on the same keys together. Without leases each
// loads every key; with them, one load per key serves all eight, and the
// waiting instances get the value as soon as the holder's invalidation
// wakes them, not a poll later. So for each in-process store.
func TestLeaseOneLoadPerKeyAcrossInstances(t *testing.T) {
	const n, callers, latency = 8, 100, 20 * time.Millisecond
	keys := []string{"a", "b", "c"}
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprintf("lease=%v", on), func(t *testing.T) {
			eachLocalStoreInBubble(t, func(t *testing.T, ms localStore) {
				org := newOrigin(latency)
				// A poll far longer than the load: only the bus can
				// explain a wait that ends with the load.
				cs := instances(t, n, ms, org, LeaseOptions{Enabled: on, Wait: time.Second, Poll: time.Second})
				for _, k := range keys {
					slowest := stampede(t, cs, callers, k)
					want := n
					if on {
						want = 1
					}
					if got := org.loads(k); got != want {
						t.Errorf("key %q loaded %d times, want %d", k, got, want)
					}
					if slowest != latency {
						t.Errorf("key %q: the slowest read took %v, want the load's %v", k, slowest, latency)
					}
				}
				st := sumLease(cs)
				if !on {
					if st != (LeaseStats{}) {
						t.Fatalf("lease stats with the mode off: %+v", st)
					}
					return
				}
				want := LeaseStats{Acquired: uint64(len(keys)), Waited: uint64(len(keys) * (n - 1)), Shared: uint64(len(keys) * (n - 1))}
				if st != want {
					t.Fatalf("lease stats %+v, want %+v", st, want)
				}
				for _, k := range keys {
					if raw, err := ms.Get(context.Background(), "ns:"+k); err != nil || isLease(raw) {
						t.Fatalf("store holds %q, %v for %q after the loads; want the value", raw, err, k)
					}
				}
			})
		})
	}
}

// A holder that never delivers (its load hangs, as if its process had
// frozen) holds the others up for Lease.Wait and no longer: then each
// loads the key itself.
func TestLeaseHolderThatNeverDeliversHoldsOthersUpForWaitOnly(t *testing.T) {
	eachLocalStoreInBubble(t, func(t *testing.T, ms localStore) {
		const wait, poll, latency = 100 * time.Millisecond, 30 * time.Millisecond, 10 * time.Millisecond
		hung, released := make(chan struct{}), make(chan struct{})
		stuck := mustNew(t, Options[string, string]{Store: ms, Namespace: "ns", Lease: LeaseOptions{Enabled: true, Wait: wait, Poll: poll},
			Load: func(ctx context.Context, key string) (string, error) {
				close(hung)
				<-released
				return "v:" + key, nil
			}})
		go func() { _, _ = stuck.Get(context.Background(), "k") }()
		<-hung // it holds the lease

		org := newOrigin(latency)
		others := instances(t, 7, ms, org, LeaseOptions{Enabled: true, Wait: wait, Poll: poll})
		if slowest := stampede(t, others, 10, "k"); slowest != wait+latency {
			t.Errorf("the slowest read took %v, want Lease.Wait %v plus the load %v", slowest, wait, latency)
		}
		if got := org.loads("k"); got != 7 {
			t.Errorf("%d loads by the waiting instances, want 7 (one each)", got)
		}
		if st := sumLease(others); st.Waited != 7 || st.TimedOut != 7 || st.Shared != 0 {
			t.Errorf("lease stats %+v", st)
		}
		close(released)
	})
}

// A lease left by a holder that died (nobody will release it) ends by
// itself after Lease.Wait: a read arriving after that takes a lease of
// its own at once.
func TestLeaseOfADeadHolderExpires(t *testing.T) {
	eachLocalStoreInBubble(t, func(t *testing.T, ms localStore) {
		const wait = 100 * time.Millisecond
		dead := []byte(leaseMagic + "dead-holder.1")
		if ok, err := ms.TryLease(context.Background(), "ns:k", dead, wait); !ok || err != nil {
			t.Fatalf("TryLease = %v, %v", ok, err)
		}
		org := newOrigin(0)
		// Polls at 30ms, 60ms, 90ms: none when the lease expires.
		c := instances(t, 1, ms, org, LeaseOptions{Enabled: true, Wait: wait, Poll: 30 * time.Millisecond})[0]
		start := time.Now()
		mustGet(t, c, "k", "v:k")
		if took := time.Since(start); took != wait {
			t.Errorf("the read behind a dead lease took %v, want Lease.Wait %v", took, wait)
		}
		if st := c.Stats().Lease; st.TimedOut != 1 {
			t.Errorf("lease stats %+v; want one wait that timed out", st)
		}

		if ok, _ := ms.TryLease(context.Background(), "ns:j", dead, wait); !ok {
			t.Fatal("TryLease refused")
		}
		time.Sleep(wait + time.Millisecond) // the lease is past its lifetime when read
		start = time.Now()
		mustGet(t, c, "j", "v:j")
		if took := time.Since(start); took != 0 {
			t.Errorf("a read after the dead lease expired took %v, want no wait", took)
		}
	})
}

// A holder whose load fails, finds nothing or panics releases its lease
// at once; a waiting instance takes it over at its next poll and loads.
func TestLeaseIsReleasedWhenTheLoadFails(t *testing.T) {
	errDB := errors.New("database down")
	for _, tc := range []struct {
		name string
		fail func() error
		want error
	}{
		{"error", func() error { return errDB }, errDB},
		{"not found", func() error { return ErrNotFound }, ErrNotFound},
		{"panic", func() error { panic("loader bug") }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachLocalStoreInBubble(t, func(t *testing.T, ms localStore) {
				const wait, poll, latency = time.Second, 5 * time.Millisecond, 12 * time.Millisecond
				org := newOrigin(latency)
				org.fail = func(_ string, call int) error {
					if call == 1 {
						return tc.fail()
					}
					return nil
				}
				cs := instances(t, 2, ms, org, LeaseOptions{Enabled: true, Wait: wait, Poll: poll})
				errs := make(chan error, 1)
				go func() {
					_, err := cs[0].Get(context.Background(), "k")
					errs <- err
				}()
				synctest.Wait() // cs[0] holds the lease and is loading
				start := time.Now()
				mustGet(t, cs[1], "k", "v:k")
				// The lease ends at 12ms; the poll at 15ms finds it gone.
				if took, want := time.Since(start), 15*time.Millisecond+latency; took != want {
					t.Errorf("the waiting read took %v, want %v", took, want)
				}
				err := <-errs
				var pe *cache.PanicError
				if tc.want != nil && !errors.Is(err, tc.want) || tc.want == nil && !errors.As(err, &pe) {
					t.Errorf("the holder's Get returned %v", err)
				}
				if got := org.loads("k"); got != 2 {
					t.Errorf("%d loads, want 2 (the failed one, then the take-over)", got)
				}
				if st := cs[1].Stats().Lease; st.Waited != 1 || st.Acquired != 1 {
					t.Errorf("the waiting instance's lease stats: %+v", st)
				}
			})
		})
	}
}

// A write of the key while its holder loads wins: the holder does not
// write back, and its release leaves the written value alone.
func TestLeaseReleaseLeavesAWrittenValue(t *testing.T) {
	eachLocalStoreInBubble(t, func(t *testing.T, ms localStore) {
		org := newOrigin(10 * time.Millisecond)
		cs := instances(t, 2, ms, org, LeaseOptions{Enabled: true})
		done := make(chan struct{})
		go func() {
			defer close(done)
			mustGet(t, cs[0], "k", "v:k")
		}()
		synctest.Wait() // cs[0] holds the lease
		if err := cs[1].Set(context.Background(), "k", "written"); err != nil {
			t.Fatal(err)
		}
		<-done
		mustGet(t, cs[0], "k", "written") // the invalidation kept the load out of the L1
		raw, err := ms.Get(context.Background(), "ns:k")
		if err != nil || string(raw) != string(mustMarshal(t, "written")) {
			t.Fatalf("store holds %q, %v; want the written value", raw, err)
		}
	})
}

// Instances without the mode, and reads without a loader, take another
// instance's lease for a miss: they neither decode it nor delete it.
func TestLeaseIsAMissToOtherReaders(t *testing.T) {
	eachLocalStore(t, func(t *testing.T, ms localStore, _ *fakeClock) { testLeaseIsAMissToOtherReaders(t, ms) })
}

func testLeaseIsAMissToOtherReaders(t *testing.T, ms localStore) {
	ctx := context.Background()
	lease := []byte(leaseMagic + "other.1")
	if ok, err := ms.TryLease(ctx, "ns:k", lease, time.Minute); !ok || err != nil {
		t.Fatalf("TryLease = %v, %v", ok, err)
	}
	noLoader := mustNew(t, Options[string, string]{Store: ms, Namespace: "ns"})
	if _, err := noLoader.Get(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get without a loader over a lease = %v, want ErrNotFound", err)
	}
	if raw, _ := ms.Get(ctx, "ns:k"); string(raw) != string(lease) {
		t.Fatalf("store holds %q after a read without a loader; the lease must stay", raw)
	}
	var ld loadCounter
	off := mustNew(t, Options[string, string]{Store: ms, Namespace: "ns", Load: ld.load})
	mustGet(t, off, "k", "v:k")
	if st := off.Stats().L2; st.Misses != 1 || st.DecodeErrors != 0 || st.Writes != 1 {
		t.Fatalf("store stats %+v; a lease is a miss, then overwritten", st)
	}
	for _, c := range []*Cache[string, string]{noLoader, off} {
		if st := c.Stats().Lease; st != (LeaseStats{}) {
			t.Fatalf("lease stats %+v with the mode off", st)
		}
	}
}

func TestLocalStoreLeases(t *testing.T) { eachLocalStore(t, testLocalStoreLeases) }

func testLocalStoreLeases(t *testing.T, ms localStore, clk *fakeClock) {
	ctx := context.Background()
	a, b := []byte("lease-a"), []byte("lease-b")
	try := func(key string, lease []byte, want bool) {
		t.Helper()
		if got, err := ms.TryLease(ctx, key, lease, time.Second); got != want || err != nil {
			t.Fatalf("TryLease(%q, %q) = %v, %v; want %v", key, lease, got, err, want)
		}
	}
	try("k", a, true)
	try("k", b, false) // held
	if err := ms.Release(ctx, "k", b); err != nil {
		t.Fatal(err)
	}
	try("k", b, false) // b's release did not end a's lease
	if err := ms.Release(ctx, "k", a); err != nil {
		t.Fatal(err)
	}
	try("k", b, true) // released

	clk.Advance(time.Second)
	try("k", a, true) // b's expired

	if err := ms.Set(ctx, "k", []byte("value"), 0); err != nil {
		t.Fatal(err)
	}
	if err := ms.Release(ctx, "k", a); err != nil {
		t.Fatal(err)
	}
	if got, err := ms.Get(ctx, "k"); string(got) != "value" || err != nil {
		t.Fatalf("Get after a release over a value = %q, %v", got, err)
	}
	try("k", b, false) // a value is there

	if _, err := ms.TryLease(ctx, "z", a, 0); err == nil || !strings.Contains(err.Error(), "positive") {
		t.Fatalf("TryLease with ttl 0 = %v", err)
	}
	ms.Close()
	if _, err := ms.TryLease(ctx, "y", a, time.Second); !errors.Is(err, ErrClosed) {
		t.Fatalf("TryLease after Close = %v", err)
	}
	if err := ms.Release(ctx, "y", a); !errors.Is(err, ErrClosed) {
		t.Fatalf("Release after Close = %v", err)
	}
}
