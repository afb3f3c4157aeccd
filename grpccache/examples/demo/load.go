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

// phase is what the load generator measured in one mode, over all its
// rounds.
type phase struct {
	calls, notFound, failed int64
	backendCalls            int64
	elapsed                 time.Duration    // wall-clock time of its rounds
	cpu                     time.Duration    // process CPU time during its rounds; 0 if unknown
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

// cpuPerCall returns the process's CPU time per request, or 0 if unknown.
func (p phase) cpuPerCall() time.Duration {
	if p.calls == 0 {
		return 0
	}
	return p.cpu / time.Duration(p.calls)
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

// driver is the load generator of one mode. Its clients keep their random
// streams from round to round, and the streams are the same in both
// modes, so the two modes see the same requests in the same order.
type driver struct {
	name     string // "without cache", "with cache"
	cfg      config
	replicas []*replica
	users    []context.Context // one per user, carrying its authorization
	clients  []*client
	p        phase
}

// client is one load-generating goroutine's state.
type client struct {
	rng   *rand.Rand
	zipf  *rand.Zipf
	turn  int // the replica its next call goes to, modulo their number
	reply *structpb.Struct
}

func newDriver(cfg config, name string, replicas []*replica) *driver {
	d := &driver{name: name, cfg: cfg, replicas: replicas}
	for u := range cfg.users {
		d.users = append(d.users, metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer user-"+strconv.Itoa(u)))
	}
	for w := range cfg.workers {
		rng := rand.New(rand.NewPCG(uint64(w), 42))
		d.clients = append(d.clients, &client{
			rng: rng, zipf: rand.NewZipf(rng, cfg.zipf, 1, cfg.keys-1), turn: w, reply: new(structpb.Struct),
		})
	}
	return d
}

// round drives round n (from 0) of cfg.rounds: every client calls the
// replicas for the round's share of cfg.duration or of cfg.requests. It
// adds what it measured to d.p and prints one line.
func (d *driver) round(n int, db *backend, out io.Writer) {
	cfg := d.cfg
	budget := cfg.requests*int64(n+1)/int64(cfg.rounds) - cfg.requests*int64(n)/int64(cfg.rounds)
	var (
		issued, calls, notFound, failed atomic.Int64
		stop                            = make(chan struct{})
		wg                              sync.WaitGroup
		mu                              sync.Mutex
	)
	more := func() bool {
		select {
		case <-stop:
			return false
		default:
		}
		return cfg.requests == 0 || issued.Add(1) <= budget
	}
	backendStart := db.calls.Load()
	cpuStart := cfg.cpuTime()
	start := time.Now()
	if cfg.requests == 0 {
		end := time.AfterFunc(cfg.duration/time.Duration(cfg.rounds), func() { close(stop) })
		defer end.Stop()
	}
	for _, c := range d.clients {
		wg.Go(func() {
			var lat []time.Duration
			for more() {
				id := "item-" + strconv.FormatUint(c.zipf.Uint64(), 10)
				if c.rng.Float64() < cfg.missing {
					id = "gone-" + strconv.FormatUint(c.zipf.Uint64(), 10)
				}
				conn := d.replicas[c.turn%len(d.replicas)].conn
				c.turn++
				ctx, cancel := context.WithTimeout(d.users[c.rng.IntN(len(d.users))], 10*time.Second)
				t0 := time.Now()
				err := conn.Invoke(ctx, getItemMethod, wrapperspb.String(id), c.reply)
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
			mu.Lock()
			d.p.latencies = append(d.p.latencies, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := cfg.cpuTime() - cpuStart
	backend := db.calls.Load() - backendStart

	d.p.calls += calls.Load()
	d.p.notFound += notFound.Load()
	d.p.failed += failed.Load()
	d.p.backendCalls += backend
	d.p.elapsed += elapsed
	d.p.cpu += cpu
	perCall := "-"
	if n := calls.Load(); n > 0 && cpu > 0 {
		perCall = (cpu / time.Duration(n)).Round(time.Microsecond).String()
	}
	fmt.Fprintf(out, "  round %d/%d  %-13s %8s requests %9s/s   backend calls %8s   CPU %7s a request%s\n",
		n+1, cfg.rounds, d.name, count(calls.Load()), count(int64(float64(calls.Load())/elapsed.Seconds())),
		count(backend), perCall, d.liveHitRatio())
}

// finish returns what the driver measured over its rounds, with the
// caches' counters, and the latencies sorted.
func (d *driver) finish() phase {
	p := d.p
	slices.Sort(p.latencies)
	for _, r := range d.replicas {
		if r.cache != nil {
			p.cache = addStats(p.cache, r.cache.Stats())
		}
	}
	return p
}

// liveHitRatio is the round line's hit ratio so far, or "" without
// caches.
func (d *driver) liveHitRatio() string {
	var p phase
	for _, r := range d.replicas {
		if r.cache == nil {
			return ""
		}
		p.cache = addStats(p.cache, r.cache.Stats())
	}
	l1, store := p.hitRatio()
	return fmt.Sprintf("   hit ratio so far %5.1f%%", (l1+store)*100)
}
