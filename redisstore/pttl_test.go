package redisstore

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// scriptedPTTL answers the GetTTL script itself, as a Redis whose key
// has ms milliseconds left would, so that no server is needed.
type scriptedPTTL struct{ ms int64 }

func (h scriptedPTTL) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h scriptedPTTL) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if c, ok := cmd.(*redis.Cmd); ok && strings.HasPrefix(strings.ToLower(cmd.Name()), "eval") {
			c.SetVal([]any{"v", h.ms})
			return nil
		}
		return next(ctx, cmd)
	}
}

func (h scriptedPTTL) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// Redis's PTTL counts whole milliseconds, and answers 0 for a key that
// lives on for less than one more: such a value expires at once, and
// must not be reported as one that does not expire (0), which would let
// a reader's L1 keep it for its full L1.TTL after the store dropped it.
func TestGetTTLOfAValueInItsLastMillisecond(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close() // the hook answers; nothing is dialled
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true, MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer c.Close()
	c.AddHook(scriptedPTTL{ms: 0})
	s, err := New(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	v, left, err := s.GetTTL(context.Background(), "k")
	if err != nil || string(v) != "v" {
		t.Fatalf("GetTTL = %q, %v, %v; want v", v, left, err)
	}
	if left <= 0 || left > time.Millisecond {
		t.Fatalf("GetTTL of a value with PTTL 0 (under a millisecond left) reports %v left; want a positive bound of at most 1ms", left)
	}
}
