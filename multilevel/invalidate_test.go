package multilevel

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// Two instances sharing one MemoryStore in one process: a write through
// either evicts the key from the other's L1 before the write returns.
func TestTwoInstancesInvalidateEachOther(t *testing.T) {
	ms := newMemory(t, nil)
	ctx := context.Background()
	var la, lb loadCounter
	a := mustNew(t, Options[string, string]{Store: ms, Namespace: "ns", Load: la.load})
	b := mustNew(t, Options[string, string]{Store: ms, Namespace: "ns", Load: lb.load})

	mustGet(t, a, "k", "v:k")
	mustGet(t, b, "k", "v:k") // now in both L1s

	if err := a.Set(ctx, "k", "from a"); err != nil {
		t.Fatal(err)
	}
	mustGet(t, b, "k", "from a")
	mustGet(t, a, "k", "from a")

	if err := b.Set(ctx, "k", "from b"); err != nil {
		t.Fatal(err)
	}
	mustGet(t, a, "k", "from b")

	if err := a.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	mustGet(t, b, "k", "v:k") // gone from b's L1 and the store: loaded

	sa, sb := a.Stats().Invalidation, b.Stats().Invalidation
	if sa.Sent != 2 || sa.Received != 1 || sb.Sent != 1 || sb.Received != 2 {
		t.Fatalf("a %+v, b %+v: want a 2 sent 1 received, b 1 sent 2 received", sa, sb)
	}
	if !sa.Subscribed || !sb.Subscribed || sa.Resyncs != 1 {
		t.Fatalf("a %+v, b %+v: want both subscribed, one resync at start", sa, sb)
	}
}

// Instances in different namespaces share the store but not their keys or
// invalidations.
func TestNamespacesAreIsolated(t *testing.T) {
	ms := newMemory(t, nil)
	ctx := context.Background()
	a := mustNew(t, Options[string, string]{Store: ms, Namespace: "a"})
	b := mustNew(t, Options[string, string]{Store: ms, Namespace: "b"})
	if err := a.Set(ctx, "k", "a's"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("b sees a's key: %v", err)
	}
	if err := b.Set(ctx, "k", "b's"); err != nil {
		t.Fatal(err)
	}
	mustGet(t, a, "k", "a's")
	if got := a.Stats().Invalidation.Received; got != 0 {
		t.Fatalf("a received %d messages from another namespace", got)
	}
}

// fakeBus is a Bus driven by the test: it records what is published and
// lets the test deliver messages and interruptions by hand.
type fakeBus struct {
	mu        sync.Mutex
	sub       Subscriber
	published []Message
	failPub   bool
}

func (b *fakeBus) Publish(_ context.Context, m Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failPub {
		return errors.New("bus down")
	}
	b.published = append(b.published, m)
	return nil
}

func (b *fakeBus) Subscribe(_ string, s Subscriber) (func(), error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sub = s
	return func() {}, nil
}

func (b *fakeBus) subscriber() Subscriber {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sub
}

func TestMessagesEvictOnlyForeignKeys(t *testing.T) {
	ms := newMemory(t, nil)
	bus := &fakeBus{}
	var ld loadCounter
	c := mustNew(t, Options[string, string]{Store: ms, Bus: bus, Namespace: "ns", Load: ld.load})
	sub := bus.subscriber()
	if c.Stats().Invalidation.Subscribed {
		t.Fatal("subscribed before the bus said Up")
	}
	sub.Up()

	ctx := context.Background()
	if err := c.Set(ctx, "k", "mine"); err != nil {
		t.Fatal(err)
	}
	if len(bus.published) != 1 || bus.published[0] != (Message{Namespace: "ns", Key: "ns:k", Sender: c.c.id}) {
		t.Fatalf("published %+v", bus.published)
	}
	sub.Message(bus.published[0]) // our own echo: ignored
	mustGet(t, c, "k", "mine")
	if st := c.Stats(); st.L1.Hits != 1 || st.Invalidation.Received != 0 {
		t.Fatalf("own message was not ignored: %+v", st)
	}

	sub.Message(Message{Namespace: "ns", Key: "ns:k", Sender: "someone else"})
	if _, ok := c.c.l1.Peek("k"); ok {
		t.Fatal("a foreign message did not evict the key")
	}
	if st := c.Stats().Invalidation; st.Received != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestInterruptionsAndBadMessagesClearTheL1(t *testing.T) {
	ms := newMemory(t, nil)
	bus := &fakeBus{}
	var ld loadCounter
	c := mustNew(t, Options[int, string]{Store: ms, Bus: bus, Namespace: "ns",
		Load: func(ctx context.Context, k int) (string, error) { return ld.load(ctx, "x") }})
	sub := bus.subscriber()
	sub.Up()
	fill := func() {
		for i := range 10 {
			if _, err := c.Get(context.Background(), i); err != nil {
				t.Fatal(err)
			}
		}
		if c.c.l1.Len() != 10 {
			t.Fatalf("L1 holds %d entries", c.c.l1.Len())
		}
	}

	fill()
	sub.Down(errors.New("connection reset"))
	if c.Stats().Invalidation.Subscribed {
		t.Fatal("still subscribed after Down")
	}
	sub.Up()
	if n := c.c.l1.Len(); n != 0 {
		t.Fatalf("L1 holds %d entries after a resubscription, want 0", n)
	}
	if st := c.Stats().Invalidation; st.Resyncs != 2 || !st.Subscribed {
		t.Fatalf("stats %+v", st)
	}

	for _, key := range []string{"ns:not-a-number", "other:1", "1"} {
		fill()
		sub.Message(Message{Namespace: "ns", Key: key, Sender: "x"})
		if n := c.c.l1.Len(); n != 0 {
			t.Fatalf("L1 holds %d entries after the undecodable key %q", n, key)
		}
	}
	if st := c.Stats().Invalidation; st.Undecodable != 3 || st.Received != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestFailedPublishIsCountedNotReturned(t *testing.T) {
	ms := newMemory(t, nil)
	bus := &fakeBus{failPub: true}
	c := mustNew(t, Options[string, string]{Store: ms, Bus: bus, Namespace: "ns"})
	if err := c.Set(context.Background(), "k", "v"); err != nil {
		t.Fatalf("Set = %v; a failed publish is not the caller's problem", err)
	}
	if st := c.Stats().Invalidation; st.Sent != 0 || st.SendErrors != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestNoInvalidation(t *testing.T) {
	ms := newMemory(t, nil)
	a := mustNew(t, Options[string, string]{Store: ms, Namespace: "ns", NoInvalidation: true})
	b := mustNew(t, Options[string, string]{Store: ms, Namespace: "ns", NoInvalidation: true})
	ctx := context.Background()
	if err := a.Set(ctx, "k", "old"); err != nil {
		t.Fatal(err)
	}
	mustGet(t, b, "k", "old")
	if err := a.Set(ctx, "k", "new"); err != nil {
		t.Fatal(err)
	}
	mustGet(t, b, "k", "old") // stale until b's L1 TTL: nobody told b
	if st := a.Stats().Invalidation; st.Sent != 0 || st.Subscribed {
		t.Fatalf("stats %+v", st)
	}
}
