package grpccache

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratacache/cache/codec"
	"github.com/stratacache/cache/multilevel"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// recordingStore is a MemoryStore (store and bus) that records the
// lifetime of every write.
type recordingStore struct {
	*multilevel.MemoryStore
	mu   sync.Mutex
	ttls map[string][]time.Duration // by key
}

func (s *recordingStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	s.mu.Lock()
	s.ttls[key] = append(s.ttls[key], ttl)
	s.mu.Unlock()
	return s.MemoryStore.Set(ctx, key, value, ttl)
}

// writes returns the lifetimes of all writes so far, in no order.
func (s *recordingStore) writes() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []time.Duration
	for _, ttls := range s.ttls {
		all = append(all, ttls...)
	}
	slices.Sort(all)
	return all
}

func newRecordingStore(t *testing.T, clk *fakeClock) *recordingStore {
	t.Helper()
	ms, err := multilevel.NewMemoryStore(multilevel.MemoryStoreOptions{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ms.Close)
	return &recordingStore{MemoryStore: ms, ttls: map[string][]time.Duration{}}
}

// newMultilevel returns one server instance's cache: its own L1 on clk in
// front of the shared store. Its L1.TTL, 10s, is below every rule's TTL,
// as Multilevel advises, so that no instance serves an answer it read from
// the store past the answer's end.
func newMultilevel(t *testing.T, store *recordingStore, clk *fakeClock) *multilevel.Cache[string, []byte] {
	t.Helper()
	o := multilevel.Options[string, []byte]{Store: store, Namespace: "answers", Format: codec.FormatRaw}
	o.L1.TTL = 10 * time.Second
	o.L1.Clock = clk
	m, err := multilevel.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// Two server instances, each with a multilevel cache of its own on one
// shared store: what one computes, the other serves without its handler,
// and each rule's lifetime holds in both levels.
func TestMultilevelSharesAnswersBetweenServers(t *testing.T) {
	ctx := testContext(t)
	clk := newFakeClock()
	store := newRecordingStore(t, clk)
	ma, mb := newMultilevel(t, store, clk), newMultilevel(t, store, clk)
	srvA, connA := cachedServer(t, nil, Options{Cache: Multilevel(ma), Identity: AuthorizationIdentity})
	srvB, connB := cachedServer(t, nil, Options{Cache: Multilevel(mb), Identity: AuthorizationIdentity})

	alice := as(ctx, "alice")
	mustString(t, alice, connA, methodUpper, "hello", "HELLO|alice")
	mustString(t, alice, connB, methodUpper, "hello", "HELLO|alice")
	mustString(t, alice, connB, methodUpper, "hello", "HELLO|alice")
	if a, b := srvA.Calls(methodUpper), srvB.Calls(methodUpper); a != 1 || b != 0 {
		t.Fatalf("handler runs: %d on A, %d on B; want 1 on A, none on B", a, b)
	}
	if st := mb.Stats(); st.L2.Hits != 1 || st.L1.Hits != 1 || st.Origin.Loads != 0 {
		t.Fatalf("B's stats %+v; want one store hit, then one L1 hit, no load", st)
	}

	// Identity still keeps callers apart across instances.
	mustString(t, as(ctx, "bob"), connB, methodUpper, "hello", "HELLO|bob")
	if b := srvB.Calls(methodUpper); b != 1 {
		t.Fatalf("bob's call ran B's handler %d times, want once", b)
	}

	// A cached NotFound travels too, with its own lifetime.
	_, first := lookup(alice, connB, "missing:x")
	_, second := lookup(alice, connA, "missing:x")
	if status.Code(first) != codes.NotFound || !strings.Contains(status.Convert(second).Message(), "missing:x") {
		t.Fatalf("Lookup(missing) on B: %v, then on A: %v", first, second)
	}
	if a, b := srvA.Calls(methodLookup), srvB.Calls(methodLookup); a != 0 || b != 1 {
		t.Fatalf("Lookup ran %d times on A and %d on B, want 0 and 1", a, b)
	}

	// Past the NotFoundTTL the NotFound is gone from every level of
	// both instances; the response (a minute) is still in the store.
	clk.Advance(31 * time.Second)
	if _, err := lookup(alice, connA, "missing:x"); status.Code(err) != codes.NotFound {
		t.Fatal(err)
	}
	mustString(t, alice, connA, methodUpper, "hello", "HELLO|alice")
	if a, b := srvA.Calls(methodLookup), srvB.Calls(methodLookup); a != 1 || b != 1 {
		t.Fatalf("after the NotFoundTTL Lookup ran %d times on A and %d on B in all, want once each", a, b)
	}
	if a := srvA.Calls(methodUpper); a != 1 {
		t.Fatalf("Upper ran %d times on A within its TTL, want once", a)
	}

	// Past the minute the response is gone too: B computes it again, and
	// A serves B's answer.
	clk.Advance(30 * time.Second)
	mustString(t, alice, connB, methodUpper, "hello", "HELLO|alice")
	mustString(t, alice, connA, methodUpper, "hello", "HELLO|alice")
	if a, b := srvA.Calls(methodUpper), srvB.Calls(methodUpper); a != 1 || b != 2 {
		t.Fatalf("after the TTL: %d runs on A, %d on B; want B to recompute once and A to read B's answer", a, b)
	}

	// Every store write carried its rule's lifetime: none was made, or
	// overwritten by a write-back, with the store's default of an hour.
	want := []time.Duration{30 * time.Second, 30 * time.Second, time.Minute, time.Minute, time.Minute}
	if got := store.writes(); !slices.Equal(got, want) {
		t.Fatalf("store writes lived %v, want %v", got, want)
	}
}

// TestReplicasNeverServePastTheRuleTTL: two replicas whose L1.TTL (ten
// minutes) is far longer than the rule's minute. Replica B reads A's
// answer from the store with 10s left; once the minute since A computed it
// has passed, neither replica serves it: B's L1 kept it only for what it
// had left in the store, and B runs its handler again.
func TestReplicasNeverServePastTheRuleTTL(t *testing.T) {
	ctx := testContext(t)
	clk := newFakeClock()
	store := newRecordingStore(t, clk)
	replica := func() *multilevel.Cache[string, []byte] {
		o := multilevel.Options[string, []byte]{Store: store, Namespace: "answers", Format: codec.FormatRaw}
		o.L1.TTL = 10 * time.Minute
		o.L1.Clock = clk
		m, err := multilevel.New(o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.Close)
		return m
	}
	ma, mb := replica(), replica()
	srvA, connA := cachedServer(t, nil, Options{Cache: Multilevel(ma), Identity: AuthorizationIdentity})
	srvB, connB := cachedServer(t, nil, Options{Cache: Multilevel(mb), Identity: AuthorizationIdentity})
	alice := as(ctx, "alice")

	mustString(t, alice, connA, methodUpper, "hi", "HI|alice") // A computes: t=0
	clk.Advance(50 * time.Second)
	mustString(t, alice, connB, methodUpper, "hi", "HI|alice") // B from the store
	if a, b := srvA.Calls(methodUpper), srvB.Calls(methodUpper); a != 1 || b != 0 {
		t.Fatalf("handler runs: %d on A, %d on B; want B to serve A's answer", a, b)
	}
	clk.Advance(10*time.Second - 1)
	mustString(t, alice, connB, methodUpper, "hi", "HI|alice")
	if b := srvB.Calls(methodUpper); b != 0 {
		t.Fatalf("B ran its handler %d times within the rule's minute", b)
	}
	clk.Advance(1) // the minute since A computed the answer is over
	mustString(t, alice, connB, methodUpper, "hi", "HI|alice")
	if b := srvB.Calls(methodUpper); b != 1 {
		t.Fatalf("B ran its handler %d times after the rule's minute, want once: it served A's answer from its L1 past its TTL", b)
	}
	mustString(t, alice, connA, methodUpper, "hi", "HI|alice") // B's new answer
	if a := srvA.Calls(methodUpper); a != 1 {
		t.Fatalf("A ran its handler %d times; want it to serve B's fresh answer", a)
	}
	if st := ma.Stats(); st.L2.Hits != 1 {
		t.Fatalf("A's stats %+v: after its L1 dropped its answer at the minute, it should read B's from the store", st)
	}
}

func TestMultilevelOfNilIsNoCache(t *testing.T) {
	_, err := UnaryServerInterceptor(Options{Cache: Multilevel(nil), Methods: textRules(), Identity: SharedByEveryone})
	if err == nil || !strings.Contains(err.Error(), "Options.Cache") {
		t.Fatalf("UnaryServerInterceptor with Multilevel(nil): %v, want an error naming Options.Cache", err)
	}
}
