package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/grpccache"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// phase is what one run of the load generator measured.
type phase struct {
	calls, notFound, failed int64
	backendCalls            int64
	hitRatio                float64
	elapsed                 time.Duration
	latencies               []time.Duration // sorted
}

// percentile returns the latency below which a share p of calls finished.
func (p phase) percentile(q float64) time.Duration {
	if len(p.latencies) == 0 {
		return 0
	}
	i := int(q*float64(len(p.latencies))+0.5) - 1
	return p.latencies[max(0, min(i, len(p.latencies)-1))]
}

// runPhase starts a server (with the cache interceptor if cached), drives
// it for cfg.duration and shuts everything down again.
func runPhase(cfg config, cached bool, out io.Writer) (phase, error) {
	db := &backend{latency: cfg.latency}
	var (
		opts      []grpc.ServerOption
		responses *cache.Cache[string, []byte]
	)
	if cached {
		responses = cache.Must(cache.New(cache.Options[string, []byte]{
			MaxWeight:   64 << 20,
			Weigher:     func(k string, v []byte) uint32 { return uint32(len(k) + len(v)) },
			TTL:         cfg.ttl,
			LoadTimeout: 5 * time.Second,
		}))
		defer responses.Close()
		icpt, err := grpccache.UnaryServerInterceptor(grpccache.Options{
			Cache: responses,
			Methods: map[string]grpccache.Rule{getItemMethod: {
				NotFoundTTL: cfg.ttl,
				New:         func() proto.Message { return new(structpb.Struct) },
			}},
		})
		if err != nil {
			return phase{}, err
		}
		opts = append(opts, grpc.ChainUnaryInterceptor(icpt))
	}
	srv := grpc.NewServer(opts...)
	srv.RegisterService(&catalog, db)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return phase{}, err
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(lis)
	}()
	defer func() {
		srv.Stop()
		<-served
	}()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return phase{}, err
	}
	defer func() { _ = conn.Close() }()

	p := drive(cfg, conn, out)
	p.backendCalls = db.calls.Load()
	if responses != nil {
		p.hitRatio = responses.Stats().HitRatio()
	}
	return p, nil
}

// drive runs cfg.workers clients against conn for cfg.duration, printing a
// progress line every cfg.progress.
func drive(cfg config, conn *grpc.ClientConn, out io.Writer) phase {
	// One context per user, carrying its authorization metadata.
	users := make([]context.Context, cfg.users)
	for u := range users {
		users[u] = metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer user-"+strconv.Itoa(u))
	}
	var (
		calls, notFound, failed atomic.Int64
		stop                    = make(chan struct{})
		wg                      sync.WaitGroup
		mu                      sync.Mutex
		all                     []time.Duration
	)
	start := time.Now()
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
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := "item-" + strconv.FormatUint(zipf.Uint64(), 10)
				if rng.Float64() < cfg.missing {
					id = "gone-" + strconv.FormatUint(zipf.Uint64(), 10)
				}
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

	tick := time.NewTicker(cfg.progress)
	defer tick.Stop()
	end := time.NewTimer(cfg.duration)
	defer end.Stop()
	last, lastAt := int64(0), start
progress:
	for {
		select {
		case now := <-tick.C:
			n := calls.Load()
			fmt.Fprintf(out, "  %5.1fs %10s calls %10s/s\n", now.Sub(start).Seconds(), count(n),
				count(int64(float64(n-last)/now.Sub(lastAt).Seconds())))
			last, lastAt = n, now
		case <-end.C:
			break progress
		}
	}
	close(stop)
	wg.Wait()
	slices.Sort(all)
	return phase{
		calls: calls.Load(), notFound: notFound.Load(), failed: failed.Load(),
		elapsed: time.Since(start), latencies: all,
	}
}
