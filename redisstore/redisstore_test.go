package redisstore

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stratacache/cache/multilevel"
)

func TestStoreCommands(t *testing.T) {
	srv := startRedis(t)
	rdb := srv.client(t)
	s, err := New(rdb, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Get(ctx, "k"); !errors.Is(err, multilevel.ErrMiss) {
		t.Fatalf("Get of an absent key = %v, want ErrMiss", err)
	}
	value := []byte("bin\x00ary\xff")
	if err := s.Set(ctx, "k", value, time.Minute); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "k"); err != nil || string(got) != string(value) {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if ttl := rdb.PTTL(ctx, "k").Val(); ttl <= 59*time.Second || ttl > time.Minute {
		t.Fatalf("PTTL after Set with a minute: %v", ttl)
	}
	if err := s.Set(ctx, "forever", value, 0); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.TTL(ctx, "forever").Val(); ttl != -1 {
		t.Fatalf("TTL after Set with 0: %v, want none (-1)", ttl)
	}
	if err := s.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "k"); err != nil {
		t.Fatalf("Delete of an absent key: %v", err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, multilevel.ErrMiss) {
		t.Fatalf("Get after Delete = %v", err)
	}
}

func TestNewChecksTheClient(t *testing.T) {
	plain := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer plain.Close()
	if _, err := New(plain, Options{}); err == nil || !strings.Contains(err.Error(), "ContextTimeoutEnabled") {
		t.Fatalf("New with deadlines ignored: %v", err)
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Fatal("New accepted a nil client")
	}
	ok := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	defer ok.Close()
	for _, o := range []Options{{PingAfter: -1}, {RetryMin: -1}, {RetryMax: -1}} {
		if _, err := New(ok, o); !errors.Is(err, multilevel.ErrInvalidOptions) {
			t.Errorf("New(%+v) = %v, want an options error", o, err)
		}
	}
}

func TestMessageFormat(t *testing.T) {
	m := multilevel.Message{Namespace: "ns", Key: "ns:k\x00with nul", Sender: "abc"}
	p, err := encodeMessage(m)
	if err != nil {
		t.Fatal(err)
	}
	if p != "1abc\x00ns:k\x00with nul" {
		t.Fatalf("payload %q", p)
	}
	if got, ok := decodeMessage("ns", p); !ok || got != m {
		t.Fatalf("decoded %+v, %v", got, ok)
	}
	for _, bad := range []string{"", "1", "1abc", "1\x00key", "2abc\x00key", "\xff\xfe"} {
		if _, ok := decodeMessage("ns", bad); ok {
			t.Errorf("decoded %q", bad)
		}
	}
	if _, err := encodeMessage(multilevel.Message{Key: "k"}); err == nil {
		t.Error("encoded a message without sender")
	}
}

func FuzzDecodeMessage(f *testing.F) {
	f.Add("1abc\x00ns:k")
	f.Add("")
	f.Fuzz(func(t *testing.T, payload string) {
		m, ok := decodeMessage("ns", payload)
		if !ok {
			return
		}
		again, err := encodeMessage(m)
		if err != nil || again != payload {
			t.Fatalf("%q decoded to %+v, which encodes to %q (%v)", payload, m, again, err)
		}
	})
}

// recorder is a Subscriber that records what it hears.
type recorder struct {
	mu       sync.Mutex
	msgs     []multilevel.Message
	ups      int
	downs    []error
	upSignal chan struct{}
}

func newRecorder() *recorder { return &recorder{upSignal: make(chan struct{}, 100)} }

func (r *recorder) subscriber() multilevel.Subscriber {
	return multilevel.Subscriber{
		Message: func(m multilevel.Message) { r.mu.Lock(); r.msgs = append(r.msgs, m); r.mu.Unlock() },
		Up:      func() { r.mu.Lock(); r.ups++; r.mu.Unlock(); r.upSignal <- struct{}{} },
		Down:    func(err error) { r.mu.Lock(); r.downs = append(r.downs, err); r.mu.Unlock() },
	}
}

func (r *recorder) snapshot() (msgs []multilevel.Message, ups, downs int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]multilevel.Message(nil), r.msgs...), r.ups, len(r.downs)
}

func waitUp(t *testing.T, r *recorder) {
	t.Helper()
	select {
	case <-r.upSignal:
	case <-time.After(10 * time.Second):
		t.Fatal("the subscription did not come up within 10s")
	}
}

func TestPubSub(t *testing.T) {
	srv := startRedis(t)
	s := srv.store(t, Options{})
	rec := newRecorder()
	stop, err := s.Subscribe("ns", rec.subscriber())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	waitUp(t, rec)

	ctx := context.Background()
	m := multilevel.Message{Namespace: "ns", Key: "ns:k", Sender: "me"}
	if err := s.Publish(ctx, m); err != nil {
		t.Fatal(err)
	}
	// Another namespace's channel: not delivered.
	if err := s.Publish(ctx, multilevel.Message{Namespace: "other", Key: "other:k", Sender: "me"}); err != nil {
		t.Fatal(err)
	}
	// Unreadable bytes on our channel: a gap, reported as Down then Up.
	if err := srv.client(t).Publish(ctx, DefaultChannelPrefix+"ns", "garbage").Err(); err != nil {
		t.Fatal(err)
	}
	waitUp(t, rec)
	msgs, ups, downs := rec.snapshot()
	if len(msgs) != 1 || msgs[0] != m || ups != 2 || downs != 1 {
		t.Fatalf("heard %+v, %d ups, %d downs; want just %+v, 2 ups, 1 down", msgs, ups, downs, m)
	}
	stop()
	stop() // idempotent
	noReceivers(t)
}

// noReceivers fails the test if any subscription goroutine is still
// running: stop, and the Close of a cache, must wait for theirs.
func noReceivers(t *testing.T) {
	t.Helper()
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	if strings.Contains(stacks, "redisstore.(*receiver).run") {
		t.Fatalf("a subscription goroutine outlived its stop:\n%s", stacks)
	}
}

// A subscription survives the server going away: Down when it breaks, Up
// when a new server answers on the same address.
func TestSubscriptionReconnects(t *testing.T) {
	srv := startRedis(t)
	s := srv.store(t, Options{RetryMin: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond})
	rec := newRecorder()
	stop, err := s.Subscribe("ns", rec.subscriber())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	waitUp(t, rec)

	srv.kill()
	eventually(t, 10*time.Second, "Down after the server died", func() bool {
		_, _, downs := rec.snapshot()
		return downs == 1
	})
	srv.start()
	waitUp(t, rec)

	m := multilevel.Message{Namespace: "ns", Key: "ns:k", Sender: "me"}
	if err := s.Publish(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the message after the reconnection", func() bool {
		msgs, _, _ := rec.snapshot()
		return len(msgs) == 1 && msgs[0] == m
	})
}

// stop may be called from inside a callback without waiting for itself.
func TestStopFromACallback(t *testing.T) {
	srv := startRedis(t)
	s := srv.store(t, Options{})
	stopped := make(chan struct{})
	ready := make(chan struct{})
	stopFn := make(chan func(), 1)
	stop, err := s.Subscribe("ns", multilevel.Subscriber{
		Up: func() { close(ready) },
		Message: func(multilevel.Message) {
			(<-stopFn)()
			close(stopped)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	stopFn <- stop
	<-ready
	if err := s.Publish(context.Background(), multilevel.Message{Namespace: "ns", Key: "k", Sender: "x"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("stop called from a callback did not return")
	}
}
