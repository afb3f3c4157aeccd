package main

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stratacache/cache/codec"
	"github.com/stratacache/cache/grpccache"
	"github.com/stratacache/cache/metrics"
	"github.com/stratacache/cache/multilevel"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// caching says how the replicas of a mode cache: each has a multilevel
// cache of its own over store, registered with reg.
type caching struct {
	store *store
	reg   *prometheus.Registry
}

// replica is one gRPC server instance and a client connection to it.
type replica struct {
	srv    *grpc.Server
	served chan struct{} // closed when Serve returns
	conn   *grpc.ClientConn
	cache  *multilevel.Cache[string, []byte] // nil without caching
}

// startReplicas starts cfg.replicas servers over db, with the
// interceptor and a multilevel cache each if c is not nil. On an error it
// returns the replicas it started, for the caller to close.
func startReplicas(cfg config, db *backend, c *caching) ([]*replica, error) {
	var replicas []*replica
	namespace := "strata-demo-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	for i := range cfg.replicas {
		r, err := startReplica(cfg, db, c, namespace, i+1)
		if err != nil {
			return replicas, err
		}
		replicas = append(replicas, r)
	}
	return replicas, nil
}

// closeReplicas closes every replica of a mode.
func closeReplicas(replicas []*replica) {
	for _, r := range replicas {
		r.close()
	}
}

// startReplica starts server number n of a mode.
func startReplica(cfg config, db *backend, c *caching, namespace string, n int) (*replica, error) {
	r := &replica{served: make(chan struct{})}
	var opts []grpc.ServerOption
	if c != nil {
		o := multilevel.Options[string, []byte]{
			Store:     c.store.Store,
			Namespace: namespace, // the same for every replica: one logical cache
			Format:    codec.FormatRaw,
			Timeout:   250 * time.Millisecond, // generous: the machine may be busy
		}
		o.L1.MaxWeight = 16 << 20
		o.L1.Weigher = func(k string, v []byte) uint32 { return uint32(len(k) + len(v)) }
		o.L1.TTL = cfg.l1TTL
		o.L1.LoadTimeout = 5 * time.Second // bounds a handler run on a miss
		m, err := multilevel.New(o)
		if err != nil {
			return nil, err
		}
		r.cache = m
		// One call publishes the L1 as the cache's series and the store
		// and the backend as its levels "l2" and "origin".
		metrics.MustRegister(c.reg, "replica-"+strconv.Itoa(n), metrics.Multilevel(m))
		icpt, err := grpccache.UnaryServerInterceptor(grpccache.Options{
			Cache: grpccache.Multilevel(m),
			Methods: map[string]grpccache.Rule{getItemMethod: {
				TTL:         cfg.ttl,
				NotFoundTTL: cfg.notFoundTTL,
				New:         func() proto.Message { return new(structpb.Struct) },
			}},
			// Each simulated user sends a bearer token of its own.
			Identity: grpccache.AuthorizationIdentity,
		})
		if err != nil {
			m.Close()
			return nil, err
		}
		opts = append(opts, grpc.ChainUnaryInterceptor(icpt))
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		if r.cache != nil {
			r.cache.Close()
		}
		return nil, err
	}
	r.srv = grpc.NewServer(opts...)
	r.srv.RegisterService(&catalog, db)
	go func() {
		defer close(r.served)
		_ = r.srv.Serve(lis)
	}()
	if r.conn, err = grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials())); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// close stops the server, waits for it, and closes the connection and the
// cache.
func (r *replica) close() {
	r.srv.Stop()
	<-r.served
	if r.conn != nil {
		_ = r.conn.Close()
	}
	if r.cache != nil {
		r.cache.Close()
	}
}

// addStats adds the counters of one replica's cache to the mode's.
func addStats(sum, st multilevel.Stats) multilevel.Stats {
	sum.L1.Hits += st.L1.Hits
	sum.L1.Misses += st.L1.Misses
	sum.L2.Hits += st.L2.Hits
	sum.L2.Misses += st.L2.Misses
	sum.L2.Errors += st.L2.Errors
	sum.Origin.Loads += st.Origin.Loads
	return sum
}

// store is the level the replicas share.
type store struct {
	multilevel.Store
	name  string // for the output
	close func()
}

// openStore connects to Redis if cfg says so, or makes a MemoryStore.
func openStore(cfg config) (*store, error) {
	if cfg.redis != "" {
		return openRedis(cfg.redis)
	}
	ms, err := multilevel.NewMemoryStore(multilevel.MemoryStoreOptions{MaxBytes: 64 << 20})
	if err != nil {
		return nil, err
	}
	return &store{Store: ms, name: "one embedded MemoryStore", close: ms.Close}, nil
}

func redisError(addr string, err error) error {
	return fmt.Errorf("-redis %s: %w", addr, err)
}
