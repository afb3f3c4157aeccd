package redisstore

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
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

func TestGetTTL(t *testing.T) {
	srv := startRedis(t)
	rdb := srv.client(t)
	s, err := New(rdb, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := s.GetTTL(ctx, "absent"); !errors.Is(err, multilevel.ErrMiss) {
		t.Fatalf("GetTTL of an absent key = %v, want ErrMiss", err)
	}
	_ = s.Set(ctx, "k", []byte("v"), time.Minute)
	_ = s.Set(ctx, "forever", []byte("w"), 0)
	if v, left, err := s.GetTTL(ctx, "k"); err != nil || string(v) != "v" || left <= 59*time.Second || left > time.Minute {
		t.Fatalf("GetTTL(k) = %q, %v, %v; want v with just under a minute left", v, left, err)
	}
	if v, left, err := s.GetTTL(ctx, "forever"); err != nil || string(v) != "w" || left != 0 {
		t.Fatalf("GetTTL(forever) = %q, %v, %v; want w with 0 (no expiry)", v, left, err)
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
//
// stop returns once the goroutine has closed its done channel, which is
// the last thing it does before it returns; it may not have been
// scheduled to return yet. So a goroutine seen here is looked for again
// (yielding the processor in between) until it has gone, and only one
// that is still there after a generous deadline counts as a leak.
func noReceivers(t *testing.T) {
	t.Helper()
	buf := make([]byte, 1<<20)
	deadline := time.Now().Add(10 * time.Second)
	for {
		stacks := string(buf[:runtime.Stack(buf, true)])
		if !strings.Contains(stacks, "redisstore.(*receiver).") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a subscription goroutine outlived its stop:\n%s", stacks)
		}
		runtime.Gosched()
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

// stop may be called from inside a callback: it returns without waiting
// for itself, the callback finishes, nothing else is called, and the
// goroutine exits.
func TestStopFromACallback(t *testing.T) {
	srv := startRedis(t)
	s := srv.store(t, Options{})
	var (
		ready    = make(chan struct{})
		stopFn   = make(chan func(), 1)
		returned = make(chan struct{}) // stop returned inside the callback
		calls    atomic.Int32          // calls of the subscriber after stop
	)
	r := s.subscribe("ns", multilevel.Subscriber{
		Up: func() { close(ready) },
		Message: func(multilevel.Message) {
			if calls.Add(1) > 1 {
				return
			}
			(<-stopFn)()
			close(returned)
		},
		Down: func(error) { calls.Add(1) },
	})
	stopFn <- r.stop
	<-ready
	ctx := context.Background()
	for range 2 { // the second message must not be delivered
		if err := s.Publish(ctx, multilevel.Message{Namespace: "ns", Key: "k", Sender: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("stop called from a callback did not return")
	}
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the subscription goroutine did not exit after the callback that stopped it")
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("the subscriber was called %d times; want once (the callback that stopped it)", n)
	}
	r.stop() // again, from outside: returns at once
	noReceivers(t)
}

// A stop from another goroutine while a callback runs waits for the
// callback to return and the goroutine to end; nothing is called after.
func TestStopWaitsForARunningCallback(t *testing.T) {
	srv := startRedis(t)
	s := srv.store(t, Options{})
	var (
		ready    = make(chan struct{})
		entered  = make(chan struct{})
		release  = make(chan struct{})
		finished atomic.Bool
		messages atomic.Int32
		after    atomic.Int32 // calls once stop has begun
	)
	r := s.subscribe("ns", multilevel.Subscriber{
		Up: func() { close(ready) },
		Message: func(multilevel.Message) {
			if messages.Add(1) == 1 {
				close(entered)
				<-release
				finished.Store(true)
				return
			}
			after.Add(1)
		},
		Down: func(error) { after.Add(1) },
	})
	<-ready
	ctx := context.Background()
	for range 2 {
		if err := s.Publish(ctx, multilevel.Message{Namespace: "ns", Key: "k", Sender: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	<-entered
	stopped := make(chan struct{})
	go func() {
		r.stop()
		close(stopped)
	}()
	<-r.ctx.Done() // stop has begun
	select {
	case <-stopped:
		t.Fatal("stop returned while a callback was still running")
	default:
	}
	close(release)
	<-stopped
	if !finished.Load() {
		t.Fatal("stop returned before the running callback did")
	}
	select {
	case <-r.done:
	default:
		t.Fatal("stop returned before the subscription goroutine ended")
	}
	if n := after.Load(); n != 0 {
		t.Fatalf("%d calls of the subscriber after stop began", n)
	}
	noReceivers(t)
}

func TestGoroutineID(t *testing.T) {
	here := goroutineID()
	other := make(chan uint64)
	go func() { other <- goroutineID() }()
	if there := <-other; here == 0 || there == 0 || here == there {
		t.Fatalf("goroutine ids %d here and %d elsewhere; want two different non-zero ids", here, there)
	}
	if again := goroutineID(); again != here {
		t.Fatalf("goroutine id %d, then %d on the same goroutine", here, again)
	}
}

// Every error New returns about what it was given wraps
// multilevel.ErrInvalidOptions, so callers can test for it as for the
// option errors of the other constructors.
func TestNewErrorsWrapErrInvalidOptions(t *testing.T) {
	noTimeouts := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer noTimeouts.Close()
	withTimeouts := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	defer withTimeouts.Close()
	for name, call := range map[string]func() error{
		"nil client":                  func() error { _, err := New(nil, Options{}); return err },
		"ContextTimeoutEnabled false": func() error { _, err := New(noTimeouts, Options{}); return err },
		"negative Options.PingAfter":  func() error { _, err := New(withTimeouts, Options{PingAfter: -1}); return err },
	} {
		if err := call(); !errors.Is(err, multilevel.ErrInvalidOptions) {
			t.Errorf("%s: %v does not wrap ErrInvalidOptions", name, err)
		}
	}
}
