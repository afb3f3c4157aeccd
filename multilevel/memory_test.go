package multilevel

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLocalStoreBasics(t *testing.T) { eachLocalStore(t, testLocalStoreBasics) }

func testLocalStoreBasics(t *testing.T, s localStore, clk *fakeClock) {
	ctx := context.Background()
	if _, err := s.Get(ctx, "k"); !errors.Is(err, ErrMiss) {
		t.Fatalf("Get of an absent key = %v, want ErrMiss", err)
	}
	if err := s.Set(ctx, "k", []byte("forever"), 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "t", []byte("brief"), time.Second); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	if v, err := s.Get(ctx, "k"); err != nil || string(v) != "forever" {
		t.Fatalf("Get(k) = %q, %v", v, err)
	}
	if _, err := s.Get(ctx, "t"); !errors.Is(err, ErrMiss) {
		t.Fatalf("Get of an expired key = %v, want ErrMiss", err)
	}
	if err := s.Set(ctx, "k", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, ErrMiss) {
		t.Fatal("a negative TTL did not remove the key")
	}
	if err := s.Set(ctx, "d", []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "d"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "d"); err != nil {
		t.Fatalf("deleting an absent key: %v", err)
	}
	if _, err := s.Get(ctx, "d"); !errors.Is(err, ErrMiss) {
		t.Fatal("Delete did not remove the key")
	}
	// A value too large to keep is dropped, not an error: the store is
	// an optimisation.
	if err := s.Set(ctx, "big", bytes.Repeat([]byte("x"), 5<<20), 0); err != nil {
		t.Fatalf("an oversized value: %v", err)
	}
	if _, err := s.Get(ctx, "big"); !errors.Is(err, ErrMiss) {
		t.Fatal("kept a value larger than the store keeps")
	}

	dead, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Get(dead, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get on a dead context = %v", err)
	}
}

func TestMemoryStoreIsBoundedByBytes(t *testing.T) {
	s, err := NewMemoryStore(MemoryStoreOptions{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	value := bytes.Repeat([]byte("x"), 1000)
	for i := range 5000 {
		if err := s.Set(ctx, strings.Repeat("k", 10)+string(rune('a'+i%26))+itoa(i), value, 0); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.Len(); n*(1000+memoryEntryOverhead) > 1<<20 || n < 800 {
		t.Fatalf("%d entries of ~1.1 KB in a 1 MiB store", n)
	}
	big := bytes.Repeat([]byte("x"), 2<<20)
	if err := s.Set(ctx, "big", big, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "big"); !errors.Is(err, ErrMiss) {
		t.Fatal("kept a value larger than the whole store")
	}
	if _, err := NewMemoryStore(MemoryStoreOptions{MaxBytes: -1}); err == nil ||
		!strings.HasPrefix(err.Error(), "multilevel: MemoryStoreOptions.MaxBytes ") {
		t.Fatalf("MaxBytes -1: %v", err)
	}
}

func itoa(i int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		if i /= 10; i == 0 {
			return string(b)
		}
	}
}

func TestLocalBus(t *testing.T) {
	eachLocalStore(t, func(t *testing.T, s localStore, _ *fakeClock) { testLocalBus(t, s) })
}

func testLocalBus(t *testing.T, s localStore) {
	ctx := context.Background()
	var got []Message
	ups := 0
	stop, err := s.Subscribe("ns", Subscriber{Message: func(m Message) { got = append(got, m) }, Up: func() { ups++ }})
	if err != nil {
		t.Fatal(err)
	}
	if ups != 1 {
		t.Fatalf("Up called %d times by Subscribe, want 1", ups)
	}
	m := Message{Namespace: "ns", Key: "ns:k", Sender: "a"}
	if err := s.Publish(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := s.Publish(ctx, Message{Namespace: "other", Key: "other:k", Sender: "a"}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != m {
		t.Fatalf("delivered %+v, want just %+v, before Publish returned", got, m)
	}
	stop()
	if err := s.Publish(ctx, m); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatal("delivered after stop")
	}

	s.Close()
	if err := s.Publish(ctx, m); !errors.Is(err, ErrClosed) {
		t.Fatalf("Publish after Close = %v", err)
	}
	if _, err := s.Subscribe("ns", Subscriber{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Subscribe after Close = %v", err)
	}
	if err := s.Set(ctx, "k", nil, 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("Set after Close = %v", err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, ErrMiss) {
		t.Fatalf("Get after Close = %v, want ErrMiss", err)
	}
}
