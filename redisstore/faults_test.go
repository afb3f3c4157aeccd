package redisstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stratacache/cache/multilevel"
)

// Fault injection against a real redis-server: the multilevel cache under
// load while Redis is killed and restarted, made slow, or made to answer
// garbage. In every case callers see only what the loader returns, each
// Get stays within its deadlines, and Close leaves no goroutine behind.
// multilevel_test.go has the single-step versions of these scenarios.

const (
	faultTimeout = 100 * time.Millisecond // Options.Timeout of every store call
	// faultMargin is what a Get may take beyond its store deadlines and its
	// load: scheduling on a busy two-core machine under the race detector.
	faultMargin = time.Second
)

// faultLoad is the origin of the fault tests: it counts calls and answers
// at once with a value derived from the key.
type faultLoad struct{ calls atomic.Int64 }

func (f *faultLoad) load(_ context.Context, id int) (user, error) {
	f.calls.Add(1)
	return user{ID: id, Name: "db"}, nil
}

// hammer runs workers goroutines doing Gets of random keys until stop is
// closed or each has done maxOps, checks every answer, and returns the
// number of Gets and the slowest one.
func hammer(t *testing.T, c *multilevel.Cache[int, user], workers, keys, maxOps int, stop <-chan struct{}) (gets int64, slowest time.Duration) {
	t.Helper()
	var (
		wg    sync.WaitGroup
		n     atomic.Int64
		mu    sync.Mutex
		worst time.Duration
	)
	for g := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 7))
			var mine time.Duration
			defer func() {
				mu.Lock()
				worst = max(worst, mine)
				mu.Unlock()
			}()
			for range maxOps {
				select {
				case <-stop:
					return
				default:
				}
				id := r.IntN(keys)
				start := time.Now()
				u, err := c.Get(context.Background(), id)
				mine = max(mine, time.Since(start))
				n.Add(1)
				if err != nil || u != (user{ID: id, Name: "db"}) {
					t.Errorf("Get(%d) = %+v, %v; callers must only see the loader's answers", id, u, err)
					return
				}
			}
		})
	}
	wg.Wait()
	return n.Load(), worst
}

// faultInstance is a multilevel cache with a tiny L1, so that most Gets
// reach the store, on its own client; the test closes both itself so that
// it can count goroutines afterwards.
func faultInstance(t *testing.T, addr string, ld *faultLoad, breaker multilevel.BreakerOptions) (*multilevel.Cache[int, user], *redis.Client) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{
		Addr:                  addr,
		ContextTimeoutEnabled: true,
		DialTimeout:           200 * time.Millisecond,
		MaxRetries:            -1,
	})
	st, err := New(rdb, Options{RetryMin: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond, PingAfter: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	o := multilevel.Options[int, user]{Store: st, Namespace: "faults", Load: ld.load, Timeout: faultTimeout, Breaker: breaker}
	o.L1.MaxEntries = 16
	o.L1.TTL = 50 * time.Millisecond
	c, err := multilevel.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c, rdb
}

// getBound is the longest a Get may take: a store read and a write-back,
// each cut off at faultTimeout, the load (instant here) and the margin.
const getBound = 2*faultTimeout + faultMargin

func TestFaultRedisKilledAndRestartedUnderLoad(t *testing.T) {
	base := runtime.NumGoroutine()
	srv := startRedis(t)
	ld := &faultLoad{}
	c, rdb := faultInstance(t, srv.addr(), ld, multilevel.BreakerOptions{Failures: 3, OpenFor: 100 * time.Millisecond, Probes: 2})

	const workers, keys, maxOps = 8, 500, 200_000
	stop := make(chan struct{})
	type result struct {
		gets    int64
		slowest time.Duration
	}
	done := make(chan result)
	go func() {
		g, s := hammer(t, c, workers, keys, maxOps, stop)
		done <- result{g, s}
	}()

	// Two crashes, each followed by a restart on the same port, while the
	// workers run. The waits are for Redis and for the cache's own view of
	// it, both outside any fake clock's reach.
	const crashes = 2
	for range crashes {
		eventually(t, 10*time.Second, "store hits before the crash", func() bool {
			return c.Stats().L2.Hits > 100
		})
		srv.kill()
		eventually(t, 10*time.Second, "the breaker to open", func() bool {
			return c.Stats().Breaker == multilevel.BreakerOpen
		})
		hits := c.Stats().L2.Hits
		srv.start()
		eventually(t, 10*time.Second, "the breaker to close and 100 reads to hit Redis again", func() bool {
			st := c.Stats()
			return st.Breaker == multilevel.BreakerClosed && st.L2.Hits > hits+100
		})
	}
	close(stop)
	r := <-done
	st := c.Stats()
	t.Logf("faults: %d crashes and restarts survived; %d Gets by %d goroutines, slowest %v (bound %v); %d loader calls; store: %d hits, %d misses, %d errors, %d rejected by the breaker, opened %d times",
		crashes, r.gets, workers, r.slowest.Round(time.Millisecond), getBound, ld.calls.Load(),
		st.L2.Hits, st.L2.Misses, st.L2.Errors, st.L2.Rejected, st.L2.BreakerOpened)
	if r.slowest > getBound {
		t.Errorf("slowest Get took %v, more than the bound %v", r.slowest, getBound)
	}
	if st.L2.Errors == 0 || st.L2.BreakerOpened < crashes {
		t.Errorf("store errors %d, breaker opened %d times: the crashes were not noticed", st.L2.Errors, st.L2.BreakerOpened)
	}
	if ld.calls.Load() == 0 || r.gets == 0 {
		t.Error("no load and no Get: the test exercised nothing")
	}
	closeAll(t, base, srv, c, rdb)
}

// proxy is a loopback TCP proxy in front of a Redis server that can delay
// or garble what the server answers.
type proxy struct {
	ln    net.Listener
	to    string
	delay atomic.Int64 // nanoseconds added before each chunk of answer
	junk  atomic.Bool  // replace answers with bytes that are not RESP
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

func newProxy(t *testing.T, to string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, to: to}
	p.wg.Go(p.accept)
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		server, err := net.Dial("tcp", p.to)
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()
		p.wg.Go(func() { _, _ = io.Copy(server, client); server.Close() })
		p.wg.Go(func() { p.answer(client, server); client.Close() })
	}
}

// answer copies the server's answers to the client, late or garbled as
// the proxy is told.
func (p *proxy) answer(client, server net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := server.Read(buf)
		if n > 0 {
			if d := time.Duration(p.delay.Load()); d > 0 {
				time.Sleep(d) // the injected fault: a slow network or server
			}
			out := buf[:n]
			if p.junk.Load() {
				out = []byte("?garbage\x00\xff\r\n")
			}
			if _, werr := client.Write(out); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Close stops accepting, drops every connection and waits for the
// proxy's goroutines.
func (p *proxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// A Redis that answers late: each read is cut off at Options.Timeout and
// answered by the loader, the breaker opens, and from then on Gets do not
// wait for Redis at all.
func TestFaultSlowRedisFallsBackWithinTheDeadline(t *testing.T) {
	base := runtime.NumGoroutine()
	srv := startRedis(t)
	px := newProxy(t, srv.addr())
	ld := &faultLoad{}
	c, rdb := faultInstance(t, px.addr(), ld, multilevel.BreakerOptions{Failures: 3, OpenFor: time.Minute})
	eventually(t, 10*time.Second, "the subscription", func() bool { return c.Stats().Invalidation.Subscribed })
	if _, slowest := hammer(t, c, 2, 100, 50, nil); slowest > getBound {
		t.Errorf("a Get took %v before any fault", slowest)
	}

	px.delay.Store(int64(5 * faultTimeout))
	gets, slowest := hammer(t, c, 4, 1000, 50, nil)
	st := c.Stats()
	t.Logf("faults: Redis slowed by %v per answer; %d Gets, slowest %v (bound %v); store errors %d, rejected %d, breaker %v",
		5*faultTimeout, gets, slowest.Round(time.Millisecond), getBound, st.L2.Errors, st.L2.Rejected, st.Breaker)
	if slowest > getBound {
		t.Errorf("slowest Get with a slow Redis took %v, more than %v", slowest, getBound)
	}
	if st.Breaker != multilevel.BreakerOpen || st.L2.Rejected == 0 {
		t.Errorf("breaker %v with %d rejected calls; a Redis slower than the timeout must open it", st.Breaker, st.L2.Rejected)
	}
	px.delay.Store(0)
	closeAll(t, base, srv, c, rdb, px)
}

// A Redis that answers garbage: bytes planted in its values count as
// decode failures and are reloaded and overwritten; answers that are not
// RESP at all count as store errors. Neither reaches a caller.
func TestFaultGarbageFromRedisIsReloaded(t *testing.T) {
	base := runtime.NumGoroutine()
	srv := startRedis(t)
	px := newProxy(t, srv.addr())
	ld := &faultLoad{}
	c, rdb := faultInstance(t, px.addr(), ld, multilevel.BreakerOptions{Failures: 3, OpenFor: 50 * time.Millisecond, Probes: 1})
	planter := srv.client(t) // straight to Redis, past the proxy

	const keys = 200
	ctx := context.Background()
	planted := 0
	for round := range 3 {
		for id := range keys {
			if err := planter.Set(ctx, fmt.Sprintf("faults:%d", id), []byte{0xC1, 'S', byte(round), 0xFF, 'x'}, 0).Err(); err != nil {
				t.Fatal(err)
			}
			planted++
		}
		if _, slowest := hammer(t, c, 4, keys, 300, nil); slowest > getBound {
			t.Errorf("round %d: a Get took %v", round, slowest)
		}
	}
	decoded := c.Stats().L2.DecodeErrors
	if decoded == 0 {
		t.Fatalf("%d garbage values planted, no decode failure counted", planted)
	}
	raw, err := planter.Get(ctx, "faults:1").Bytes()
	if err != nil || len(raw) < 4 || raw[3] == 0xFF {
		t.Errorf("faults:1 holds %q (%v) after the reads; the garbage should have been overwritten", raw, err)
	}

	px.junk.Store(true) // now the protocol itself is garbage
	gets, slowest := hammer(t, c, 4, 2*keys, 100, nil)
	px.junk.Store(false)
	st := c.Stats()
	t.Logf("faults: %d garbage values planted, %d decode failures reloaded; protocol garbage: %d Gets, slowest %v, %d store errors, breaker opened %d times",
		planted, decoded, gets, slowest.Round(time.Millisecond), st.L2.Errors, st.L2.BreakerOpened)
	if st.L2.Errors == 0 {
		t.Error("answers that are not RESP were not counted as store errors")
	}
	if slowest > getBound {
		t.Errorf("slowest Get with garbled answers took %v, more than %v", slowest, getBound)
	}
	closeAll(t, base, srv, c, rdb, px)
}

// closeAll closes the cache, its client, the proxy if any and the server,
// then waits (bounded) for the goroutine count to come back to base.
func closeAll(t *testing.T, base int, srv *redisServer, c *multilevel.Cache[int, user], rdb *redis.Client, px ...*proxy) {
	t.Helper()
	c.Close()
	if err := rdb.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
		t.Errorf("closing the client: %v", err)
	}
	for _, p := range px {
		p.Close()
	}
	srv.kill()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after Close, %d before the test:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond) // polling, bounded by the deadline
	}
	noReceivers(t)
}
