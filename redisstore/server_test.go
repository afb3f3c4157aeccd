package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/stratacache/cache/internal/redistest"

	"github.com/redis/go-redis/v9"
)

// The tests run against a real redis-server, started by the test on a free
// loopback port and killed when it ends.

func init() {
	// go-redis logs every failed dial; the fault tests cause many.
	redis.SetLogger(quietLogger{})
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// redisServer is the Redis a test controls: one redis-server process, or
// a cluster of them.
type redisServer struct {
	*redistest.Server                    // nil for a cluster
	cluster           *redistest.Cluster // nil for one server
}

// startRedis starts a fresh redis-server, or skips the test (fails it when
// CI=true) if there is no redis-server binary.
func startRedis(t testing.TB) *redisServer {
	t.Helper()
	return &redisServer{Server: redistest.Start(t)}
}

// startCluster starts a fresh Redis Cluster of three masters with a
// replica each, or skips the test (fails it when CI=true) if there is no
// redis-server or redis-cli binary.
func startCluster(t testing.TB) *redisServer {
	t.Helper()
	return &redisServer{cluster: redistest.StartCluster(t, redistest.ClusterConfig{Masters: 3, Replicas: 1})}
}

func (s *redisServer) addr() string { return s.Addr() } // one server only

// start restarts what kill stopped: the server, or every node of the
// cluster, waiting until it is healthy again.
func (s *redisServer) start() {
	if s.cluster != nil {
		s.cluster.Restart()
		return
	}
	s.Restart()
}

// kill crashes the server, or every node of the cluster.
func (s *redisServer) kill() {
	if s.cluster != nil {
		s.cluster.Kill()
		return
	}
	s.Kill()
}

// client returns a go-redis client for the server or the cluster, closed
// when the test ends, with the short timeouts the fault tests want.
func (s *redisServer) client(t testing.TB) redis.UniversalClient {
	t.Helper()
	if s.cluster != nil {
		c := redis.NewClusterClient(s.clusterOptions())
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	return newClient(t, s.options())
}

// clusterOptions are the options of a cluster client: every node as a
// seed, and the timeouts of options.
func (s *redisServer) clusterOptions() *redis.ClusterOptions {
	return &redis.ClusterOptions{
		Addrs:                 s.cluster.Addrs(),
		ContextTimeoutEnabled: true,
		DialTimeout:           200 * time.Millisecond,
		MaxRetries:            -1,
	}
}

// options are the client options for the server: its address, user,
// password and CA, and short timeouts.
func (s *redisServer) options() *redis.Options {
	return &redis.Options{
		Addr:                  s.addr(),
		Username:              s.User(),
		Password:              s.Password(),
		TLSConfig:             s.ClientTLS(),
		ContextTimeoutEnabled: true,
		DialTimeout:           200 * time.Millisecond,
		MaxRetries:            -1, // the cache's breaker decides; no retries
	}
}

// newClient returns a client with o, closed when the test ends.
func newClient(t testing.TB, o *redis.Options) *redis.Client {
	t.Helper()
	c := redis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// store returns a Store on a fresh client.
func (s *redisServer) store(t testing.TB, o Options) *Store {
	t.Helper()
	st, err := New(s.client(t), o)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// eventually polls cond until it holds, failing the test after timeout.
// It waits for an outside process (the Redis server and its pub/sub
// deliveries), which no fake clock can drive.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool, state ...func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			var extra string
			for _, f := range state {
				extra += "\n" + f()
			}
			t.Fatalf("timed out after %v waiting for %s%s", timeout, what, extra)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
