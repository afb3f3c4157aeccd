package multilevel

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/codec"
)

func TestNewRejectsInvalidOptions(t *testing.T) {
	ms := newMemory(t, nil)
	l1 := cache.Must(cache.New(cache.Options[string, int]{}))
	defer l1.Close()
	marshal := func(int) ([]byte, error) { return nil, nil }
	unmarshal := func([]byte) (int, error) { return 0, nil }
	load := func(context.Context, string) (int, error) { return 0, nil }
	cases := []struct {
		field string
		opts  Options[string, int]
	}{
		{"L1", Options[string, int]{L1Cache: l1, L1: cache.Options[string, int]{MaxEntries: 5}}},
		{"L1.Load", Options[string, int]{L1: cache.Options[string, int]{Load: load}}},
		{"L1.LoadMany", Options[string, int]{L1: cache.Options[string, int]{
			LoadMany: func(context.Context, []string) (map[string]int, error) { return nil, nil }}}},
		{"L1", Options[string, int]{L1: cache.Options[string, int]{MaxEntries: -1}}},
		{"Namespace", Options[string, int]{Store: ms}},
		{"Namespace", Options[string, int]{Store: ms, Namespace: "a\x00b"}},
		{"Unmarshal", Options[string, int]{Marshal: marshal}},
		{"Marshal", Options[string, int]{Unmarshal: unmarshal}},
		{"Format", Options[string, int]{Marshal: marshal, Unmarshal: unmarshal, Format: codec.FormatJSON}},
		{"Format", Options[string, int]{Format: codec.Format(99)}},
		{"Format", Options[string, int]{Format: codec.FormatRaw}},
		{"L2TTL", Options[string, int]{L2TTL: -time.Second}},
		{"Timeout", Options[string, int]{Timeout: -time.Second}},
		{"Breaker.Failures", Options[string, int]{Breaker: BreakerOptions{Failures: -1}}},
		{"Breaker.Ratio", Options[string, int]{Breaker: BreakerOptions{Ratio: 1.5}}},
		{"Breaker.MinCalls", Options[string, int]{Breaker: BreakerOptions{MinCalls: -1}}},
		{"Breaker.Window", Options[string, int]{Breaker: BreakerOptions{Window: -1}}},
		{"Breaker.OpenFor", Options[string, int]{Breaker: BreakerOptions{OpenFor: -1}}},
		{"Breaker.Probes", Options[string, int]{Breaker: BreakerOptions{Probes: -1}}},
		{"DecodeKey", Options[string, int]{Store: ms, Namespace: "n", EncodeKey: strings.ToUpper}},
		{"Lease.Wait", Options[string, int]{Lease: LeaseOptions{Enabled: true, Wait: -time.Second}}},
		{"Lease.Poll", Options[string, int]{Lease: LeaseOptions{Poll: -time.Second}}},
		{"Lease.Enabled", Options[string, int]{Store: &spyStore{Store: ms}, Namespace: "n", Lease: LeaseOptions{Enabled: true}}},
	}
	for _, tc := range cases {
		c, err := New(tc.opts)
		if err == nil {
			c.Close()
			t.Errorf("New accepted bad Options.%s", tc.field)
			continue
		}
		if !strings.HasPrefix(err.Error(), "multilevel: Options."+tc.field+" ") &&
			!strings.HasPrefix(err.Error(), "multilevel: Options."+tc.field+": ") {
			t.Errorf("error %q does not start with multilevel: Options.%s", err, tc.field)
		}
		if !errors.Is(err, ErrInvalidOptions) || !errors.Is(err, cache.ErrInvalidOptions) {
			t.Errorf("error %q does not wrap ErrInvalidOptions", err)
		}
	}
}

func TestZeroOptionsWork(t *testing.T) {
	c := mustNew(t, Options[string, string]{})
	if st := c.Stats(); st.Breaker != BreakerClosed || st.Invalidation.Subscribed {
		t.Fatalf("zero options: %+v", st)
	}
	if c.c.timeout != DefaultTimeout || c.c.l2TTL != DefaultL2TTL || c.c.bus != nil {
		t.Fatalf("defaults: timeout %v, L2 TTL %v, bus %v", c.c.timeout, c.c.l2TTL, c.c.bus)
	}
	noTTL := mustNew(t, Options[string, string]{L2TTL: cache.NoTTL})
	if noTTL.c.l2TTL != 0 {
		t.Fatalf("L2TTL NoTTL gives the store %v, want 0", noTTL.c.l2TTL)
	}
}

func TestMust(t *testing.T) {
	c := Must(New(Options[string, int]{}))
	defer c.Close()
	if err := c.Set(context.Background(), "k", 1); err != nil {
		t.Fatalf("Set on the cache Must returned: %v", err)
	}
	defer func() {
		err, _ := recover().(error)
		if err == nil || !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), "Timeout") {
			t.Fatalf("Must with bad options panicked with %v, want New's error naming Timeout", err)
		}
	}()
	Must(New(Options[string, int]{Timeout: -time.Second}))
	t.Fatal("Must did not panic on New's error")
}

type (
	userID   int32
	slug     string
	smallID  uint8
	pointKey struct{ X, Y int }
)

func TestDefaultKeyEncodings(t *testing.T) {
	check := func(name string, encode func() string, want string, roundTrip func(string) error) {
		t.Helper()
		if got := encode(); got != want {
			t.Errorf("%s: encoded %q, want %q", name, got, want)
		}
		if err := roundTrip(want); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	check("string", func() string { return keyOf[string](t, "héllo:1") }, "héllo:1",
		func(s string) error { return decodesTo[string](t, s, "héllo:1") })
	check("int", func() string { return keyOf[int](t, -42) }, "-42",
		func(s string) error { return decodesTo[int](t, s, -42) })
	check("int64", func() string { return keyOf[int64](t, 1<<62) }, strconv.FormatInt(1<<62, 10),
		func(s string) error { return decodesTo[int64](t, s, 1<<62) })
	check("uint64", func() string { return keyOf[uint64](t, 1<<63) }, "9223372036854775808",
		func(s string) error { return decodesTo[uint64](t, s, 1<<63) })
	check("userID", func() string { return keyOf[userID](t, 7) }, "7",
		func(s string) error { return decodesTo[userID](t, s, 7) })
	check("slug", func() string { return keyOf[slug](t, "a-b") }, "a-b",
		func(s string) error { return decodesTo[slug](t, s, "a-b") })
	check("smallID", func() string { return keyOf[smallID](t, 255) }, "255",
		func(s string) error { return decodesTo[smallID](t, s, 255) })

	kc := keyCodecFor[smallID](t)
	if _, err := kc.key("ns:256"); err == nil {
		t.Error("256 decoded as a uint8 key")
	}
	if _, err := kc.key("other:1"); err == nil {
		t.Error("a key of another namespace decoded")
	}

	if _, err := New(Options[pointKey, int]{}); err == nil || !strings.HasPrefix(err.Error(), "multilevel: Options.EncodeKey ") {
		t.Fatalf("New with a struct key and no EncodeKey: %v", err)
	}
	enc := func(p pointKey) string { return fmt.Sprintf("%d,%d", p.X, p.Y) }
	// Without invalidation the inverse is not needed.
	c := mustNew(t, Options[pointKey, int]{EncodeKey: enc})
	if got := c.c.keys.storeKey(pointKey{1, 2}); got != "local:1,2" {
		t.Fatalf("store key %q", got)
	}
}

func keyCodecFor[K comparable](t *testing.T) *keyCodec[K] {
	t.Helper()
	kc, err := newKeyCodec(&Options[K, int]{}, "ns", true)
	if err != nil {
		t.Fatal(err)
	}
	return kc
}

func keyOf[K comparable](t *testing.T, k K) string {
	t.Helper()
	s, _ := strings.CutPrefix(keyCodecFor[K](t).storeKey(k), "ns:")
	return s
}

func decodesTo[K comparable](t *testing.T, s string, want K) error {
	t.Helper()
	got, err := keyCodecFor[K](t).key("ns:" + s)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("decoded %v, want %v", got, want)
	}
	return nil
}

// TestBreakerStateString: the words are the metrics' state labels.
func TestBreakerStateString(t *testing.T) {
	for s, want := range map[BreakerState]string{
		BreakerNone: "none", BreakerClosed: "closed", BreakerOpen: "open",
		BreakerHalfOpen: "half_open", 9: "BreakerState(9)",
	} {
		if got := s.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", s, got, want)
		}
	}
}
