package redisstore

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// records is a slog.Handler that keeps what it is given.
type records struct {
	mu  sync.Mutex
	got []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, rec)
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

func (r *records) snapshot() []slog.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]slog.Record(nil), r.got...)
}

// What go-redis logs while Redis is unreachable reaches the slog.Logger
// given to NewClientLogger, at its level, instead of standard error. No
// server is needed: the client dials a loopback port nobody listens on.
func TestClientLoggerRoutesGoRedisLines(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close() // nothing listens there now: every dial is refused

	var h records
	redis.SetLogger(NewClientLogger(slog.New(&h), slog.LevelWarn))
	t.Cleanup(func() { redis.SetLogger(quietLogger{}) })

	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true, DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Get(ctx, "k").Err(); err == nil {
		t.Fatal("a Get with nothing listening succeeded")
	}
	var line *slog.Record
	for _, r := range h.snapshot() {
		if strings.Contains(r.Message, "dial") && strings.Contains(r.Message, addr) {
			line = &r
			break
		}
	}
	if line == nil {
		t.Fatalf("go-redis logged no failed dial to %s through the ClientLogger; got %v", addr, h.snapshot())
	}
	if line.Level != slog.LevelWarn {
		t.Errorf("logged at %v, want WARN", line.Level)
	}
	var client string
	line.Attrs(func(a slog.Attr) bool {
		if a.Key == "client" {
			client = a.Value.String()
		}
		return true
	})
	if client != "go-redis" {
		t.Errorf("the record's client attribute is %q, want go-redis", client)
	}
}

func TestClientLoggerFiltersAndDiscards(t *testing.T) {
	var h records
	debug := slog.New(slog.NewTextHandler(nil, &slog.HandlerOptions{Level: slog.LevelInfo}))
	NewClientLogger(debug, slog.LevelDebug).Printf(context.Background(), "below the handler's level %d", 1) // must not reach the nil writer
	NewClientLogger(nil, slog.LevelError).Printf(context.Background(), "discarded %d", 2)
	NewClientLogger(slog.New(&h), slog.LevelError).Printf(context.Background(), "pool: %s after %d attempts", "failed", 5)
	got := h.snapshot()
	if len(got) != 1 || got[0].Message != "pool: failed after 5 attempts" || got[0].Level != slog.LevelError {
		t.Fatalf("got %v, want one ERROR record with the formatted line", got)
	}
}
