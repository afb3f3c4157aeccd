package redisstore

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

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

// redisServer is a redis-server process the test controls.
type redisServer struct {
	t    testing.TB
	bin  string
	port int

	mu  sync.Mutex
	cmd *exec.Cmd
	out *bytes.Buffer
}

// startRedis starts a fresh redis-server, or skips the test (fails it when
// CI=true) if there is no redis-server binary.
func startRedis(t testing.TB) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		msg := "redis-server not found in PATH: the Redis integration tests did NOT run " +
			"(apt-get install redis-server, or see .ci/run)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("!!! SKIPPED: " + msg)
	}
	s := &redisServer{t: t, bin: bin, port: freePort(t)}
	s.start()
	t.Cleanup(s.kill)
	return s
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

func (s *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// start runs redis-server on s.port without persistence and waits until it
// answers PING.
func (s *redisServer) start() {
	s.t.Helper()
	out := &bytes.Buffer{}
	cmd := exec.Command(s.bin,
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--loglevel", "warning")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	s.mu.Lock()
	s.cmd, s.out = cmd, out
	s.mu.Unlock()

	deadline := time.Now().Add(10 * time.Second)
	for !s.answersPing() {
		if time.Now().After(deadline) {
			s.kill()
			s.t.Fatalf("redis-server on %s did not answer PING within 10s; its output:\n%s", s.addr(), out)
		}
		// Polling the server's readiness, not synchronising goroutines.
		time.Sleep(10 * time.Millisecond)
	}
}

// answersPing speaks just enough RESP to ask the server whether it is up,
// without a client library and its retries.
func (s *redisServer) answersPing() bool {
	conn, err := net.DialTimeout("tcp", s.addr(), 100*time.Millisecond)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return err == nil && line == "+PONG\r\n"
}

// kill stops the server at once (SIGKILL), as a crash would. It is
// idempotent.
func (s *redisServer) kill() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// client returns a go-redis client for the server, closed when the test
// ends, with the short timeouts the fault tests want.
func (s *redisServer) client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:                  s.addr(),
		ContextTimeoutEnabled: true,
		DialTimeout:           200 * time.Millisecond,
		MaxRetries:            -1, // the cache's breaker decides; no retries
	})
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
