package grpccache

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratacache/cache"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// textRules caches Upper and Lower for a minute and Lookup for a minute,
// NotFound included for 30s; Echo is not listed.
func textRules() map[string]Rule {
	return map[string]Rule{
		methodUpper:  {TTL: time.Minute, New: newString},
		methodLower:  {TTL: time.Minute, New: newString},
		methodLookup: {TTL: time.Minute, NotFoundTTL: 30 * time.Second, New: newStruct},
	}
}

// cachedServer starts the test service behind a server interceptor with
// opts (Cache defaults to a fresh cache on clk, Methods to textRules) and
// returns the service and a connection to it.
func cachedServer(t *testing.T, clk cache.Clock, opts Options, more ...grpc.ServerOption) (*textServer, *grpc.ClientConn) {
	t.Helper()
	if opts.Cache == nil {
		opts.Cache = newCache(t, clk)
	}
	if opts.Methods == nil {
		opts.Methods = textRules()
	}
	srv := newTextServer()
	addr := serve(t, srv, append(more, serverInterceptor(t, opts))...)
	return srv, dial(t, addr)
}

func TestServerRepeatedCallRunsHandlerOnce(t *testing.T) {
	ctx := testContext(t)
	srv, conn := cachedServer(t, newFakeClock(), Options{})
	for range 3 {
		mustString(t, ctx, conn, methodUpper, "hello", "HELLO|")
	}
	if n := srv.Calls(methodUpper); n != 1 {
		t.Fatalf("handler ran %d times for 3 identical calls, want 1", n)
	}
}

func TestServerDifferentRequestsAndMethodsDoNotShare(t *testing.T) {
	ctx := testContext(t)
	srv, conn := cachedServer(t, newFakeClock(), Options{})
	for range 2 {
		mustString(t, ctx, conn, methodUpper, "a", "A|")
		mustString(t, ctx, conn, methodUpper, "b", "B|")
		mustString(t, ctx, conn, methodLower, "A", "a|")
		mustString(t, ctx, conn, methodUpper, "A", "A|")
	}
	if up, low := srv.Calls(methodUpper), srv.Calls(methodLower); up != 3 || low != 1 {
		t.Fatalf("handler calls: Upper %d, Lower %d; want 3 and 1", up, low)
	}
}

// One user's answer is never served to another: under AuthorizationIdentity
// callers differing in any authorization value have separate entries, and
// callers with none are not cached at all.
func TestServerIdentityKeepsCallersApart(t *testing.T) {
	ctx := testContext(t)
	srv, conn := cachedServer(t, newFakeClock(), Options{Identity: AuthorizationIdentity})
	callers := []struct {
		auth []string
		want string
	}{
		{[]string{"Bearer alice"}, "X|Bearer alice"},
		{[]string{"Bearer bob"}, "X|Bearer bob"},
		{[]string{"Bearer alice", "Bearer bob"}, "X|Bearer alice,Bearer bob"},
		{[]string{"Bearer bob", "Bearer alice"}, "X|Bearer bob,Bearer alice"},
		{[]string{"Bearer aliceBearer bob"}, "X|Bearer aliceBearer bob"},
	}
	for round := range 2 {
		for _, c := range callers {
			mustString(t, as(ctx, c.auth...), conn, methodUpper, "x", c.want)
		}
		if n := srv.Calls(methodUpper); n != len(callers) {
			t.Fatalf("round %d: handler ran %d times for %d identities, want one per identity", round, n, len(callers))
		}
	}
	// Two anonymous callers (an API key the identity does not look at,
	// and nothing at all) never share: each call reaches the handler.
	for i, anon := range []context.Context{metadata.AppendToOutgoingContext(ctx, "x-api-key", "k1"), ctx, as(ctx, "")} {
		mustString(t, anon, conn, methodUpper, "x", "X|")
		if n := srv.Calls(methodUpper); n != len(callers)+i+1 {
			t.Fatalf("anonymous call %d: handler ran %d times in all, want %d: calls without authorization are not cached", i, n, len(callers)+i+1)
		}
	}
}

func TestServerCustomIdentity(t *testing.T) {
	ctx := testContext(t)
	t.Run("more metadata", func(t *testing.T) {
		srv, conn := cachedServer(t, newFakeClock(), Options{Identity: MetadataIdentity("Authorization", "X-Tenant")})
		for range 2 {
			for _, tenant := range []string{"red", "blue"} {
				mustString(t, metadata.AppendToOutgoingContext(as(ctx, "Bearer alice"), "x-tenant", tenant), conn, methodUpper, "x", "X|Bearer alice")
			}
		}
		if n := srv.Calls(methodUpper); n != 2 {
			t.Fatalf("handler ran %d times for 2 tenants, want 2", n)
		}
	})
	t.Run("refused", func(t *testing.T) {
		noAnonymous := func(_ context.Context, md metadata.MD) (string, bool) {
			a := md.Get("authorization")
			return fmt.Sprint(a), len(a) > 0
		}
		srv, conn := cachedServer(t, newFakeClock(), Options{Identity: noAnonymous})
		for range 2 {
			mustString(t, ctx, conn, methodUpper, "x", "X|")
		}
		if n := srv.Calls(methodUpper); n != 2 {
			t.Fatalf("handler ran %d times for 2 calls the identity refused, want 2", n)
		}
		for range 2 {
			mustString(t, as(ctx, "k"), conn, methodUpper, "x", "X|k")
		}
		if n := srv.Calls(methodUpper); n != 3 {
			t.Fatalf("handler ran %d times in all, want 3", n)
		}
	})
}

func TestServerTTL(t *testing.T) {
	ctx := testContext(t)
	clk := newFakeClock()
	rules := textRules()
	rules[methodLower] = Rule{New: newString} // the cache's default: 10 minutes
	srv, conn := cachedServer(t, clk, Options{Methods: rules})

	mustString(t, ctx, conn, methodUpper, "x", "X|")
	mustString(t, ctx, conn, methodLower, "X", "x|")
	clk.Advance(59 * time.Second)
	mustString(t, ctx, conn, methodUpper, "x", "X|")
	if n := srv.Calls(methodUpper); n != 1 {
		t.Fatalf("handler ran %d times within the TTL, want 1", n)
	}
	clk.Advance(2 * time.Second)
	mustString(t, ctx, conn, methodUpper, "x", "X|")
	if n := srv.Calls(methodUpper); n != 2 {
		t.Fatalf("handler ran %d times once the 1m TTL passed, want 2", n)
	}

	clk.Advance(8 * time.Minute) // Lower's entry is 9m01s old
	mustString(t, ctx, conn, methodLower, "X", "x|")
	if n := srv.Calls(methodLower); n != 1 {
		t.Fatalf("Lower ran %d times within the cache's default TTL, want 1", n)
	}
	clk.Advance(time.Minute)
	mustString(t, ctx, conn, methodLower, "X", "x|")
	if n := srv.Calls(methodLower); n != 2 {
		t.Fatalf("Lower ran %d times once the default TTL passed, want 2", n)
	}
}

func TestServerErrorsAreNotCached(t *testing.T) {
	ctx := testContext(t)
	rules := textRules()
	rules[methodLookup] = Rule{TTL: time.Minute, New: newStruct} // NotFound not cached
	srv, conn := cachedServer(t, newFakeClock(), Options{Methods: rules})
	for _, v := range []string{"broken:a", "missing:b"} {
		want := map[string]codes.Code{"broken:a": codes.Unavailable, "missing:b": codes.NotFound}[v]
		for range 2 {
			if _, err := lookup(ctx, conn, v); status.Code(err) != want {
				t.Fatalf("Lookup(%q): %v, want code %v", v, err, want)
			}
		}
	}
	if n := srv.Calls(methodLookup); n != 4 {
		t.Fatalf("handler ran %d times for 2 failing calls each of 2 requests, want 4", n)
	}
}

func TestServerNotFoundIsCachedWhenEnabled(t *testing.T) {
	ctx := testContext(t)
	clk := newFakeClock()
	srv, conn := cachedServer(t, clk, Options{})

	_, first := lookup(ctx, conn, "missing:x")
	_, second := lookup(ctx, conn, "missing:x")
	if n := srv.Calls(methodLookup); n != 1 {
		t.Fatalf("handler ran %d times for 2 NotFound calls, want 1", n)
	}
	a, b := status.Convert(first), status.Convert(second)
	if a.Code() != codes.NotFound || !proto.Equal(a.Proto(), b.Proto()) {
		t.Fatalf("replayed status %v differs from the first %v", b.Proto(), a.Proto())
	}
	if len(b.Details()) != 1 {
		t.Fatalf("replayed status has details %v, want the handler's one", b.Details())
	}

	if _, err := lookup(ctx, conn, "broken:x"); status.Code(err) != codes.Unavailable {
		t.Fatalf("Lookup(broken): %v", err)
	}
	if _, err := lookup(ctx, conn, "broken:x"); status.Code(err) != codes.Unavailable {
		t.Fatalf("Lookup(broken): %v", err)
	}
	if n := srv.Calls(methodLookup); n != 3 {
		t.Fatalf("handler ran %d times, want 3: other errors are still not cached", n)
	}

	clk.Advance(31 * time.Second)
	if _, err := lookup(ctx, conn, "missing:x"); status.Code(err) != codes.NotFound {
		t.Fatalf("Lookup(missing) after NotFoundTTL: %v", err)
	}
	if n := srv.Calls(methodLookup); n != 4 {
		t.Fatalf("handler ran %d times, want 4: the NotFound answer expires after NotFoundTTL", n)
	}

	got, err := lookup(ctx, conn, "present")
	if err != nil || got.Fields["name"].GetStringValue() != "present" {
		t.Fatalf("Lookup(present) = %v, %v", got, err)
	}
}

func TestServerConcurrentIdenticalCallsRunHandlerOnce(t *testing.T) {
	ctx := testContext(t)
	const callers = 100
	arrived := newArrivals(newCache(t, newFakeClock()), callers)
	srv := newTextServer()
	// The handler answers only once every caller is inside the cache, so
	// all of them miss while it runs.
	srv.setBefore(func(context.Context, string, string) error { return awaitGate(arrived.All()) })
	conn := dial(t, serve(t, srv, serverInterceptor(t, Options{Cache: arrived, Methods: textRules()})))

	callAtOnce(t, ctx, conn, callers)
	if n := srv.Calls(methodUpper); n != 1 {
		t.Fatalf("handler ran %d times for %d concurrent identical calls, want 1", n, callers)
	}
}

// A caller that gives up does not take the answer away from the others
// waiting for the same handler call.
func TestServerCallerGivingUpLeavesTheOthersTheirAnswer(t *testing.T) {
	ctx := testContext(t)
	arrived := newArrivals(newCache(t, newFakeClock()), 2)
	started, release := make(chan struct{}), make(chan struct{})
	srv := newTextServer()
	srv.setBefore(func(context.Context, string, string) error {
		close(started)
		return awaitGate(release)
	})
	conn := dial(t, serve(t, srv, serverInterceptor(t, Options{Cache: arrived, Methods: textRules()})))

	impatient, giveUp := context.WithCancel(ctx)
	firstDone := make(chan error, 1)
	go func() {
		_, err := callString(impatient, conn, methodUpper, "x")
		firstDone <- err
	}()
	<-started
	secondDone := make(chan error, 1)
	go func() {
		got, err := callString(ctx, conn, methodUpper, "x")
		if err == nil && got != "X|" {
			err = fmt.Errorf("got %q", got)
		}
		secondDone <- err
	}()
	if err := awaitGate(arrived.All()); err != nil {
		t.Fatal(err)
	}
	giveUp()
	if err := <-firstDone; status.Code(err) != codes.Canceled {
		t.Fatalf("the caller that gave up got %v, want Canceled", err)
	}
	close(release)
	if err := <-secondDone; err != nil {
		t.Fatalf("the caller still waiting got %v", err)
	}
	mustString(t, ctx, conn, methodUpper, "x", "X|")
	if n := srv.Calls(methodUpper); n != 1 {
		t.Fatalf("handler ran %d times, want 1", n)
	}
}

func TestServerUnlistedMethodsPassThrough(t *testing.T) {
	ctx := testContext(t)
	c := newCache(t, newFakeClock())
	srv, conn := cachedServer(t, nil, Options{Cache: c})
	for range 2 {
		mustString(t, as(ctx, "k"), conn, methodUncache, "x", "x|k")
	}
	if n := srv.Calls(methodUncache); n != 2 {
		t.Fatalf("handler of an unlisted method ran %d times for 2 calls, want 2", n)
	}
	if n := c.Len(); n != 0 {
		t.Fatalf("cache holds %d entries after calls to an unlisted method, want 0", n)
	}
}

// A panicking handler panics in every caller's goroutine as it would
// without the cache, so a recovery interceptor outside sees it; nothing is
// cached.
func TestServerHandlerPanicReachesTheCaller(t *testing.T) {
	ctx := testContext(t)
	var (
		mu        sync.Mutex
		recovered []any
	)
	recovery := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if r := recover(); r != nil {
				mu.Lock()
				recovered = append(recovered, r)
				mu.Unlock()
				err = status.Error(codes.Internal, "recovered")
			}
		}()
		return next(ctx, req)
	}
	srv, conn := cachedServer(t, newFakeClock(), Options{}, grpc.ChainUnaryInterceptor(recovery))
	for range 2 {
		if _, err := lookup(ctx, conn, "panic:x"); status.Code(err) != codes.Internal {
			t.Fatalf("Lookup(panic) = %v, want the recovery interceptor's Internal", err)
		}
	}
	if n := srv.Calls(methodLookup); n != 2 {
		t.Fatalf("handler ran %d times, want 2: a panic is not cached", n)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, r := range recovered {
		if pe, ok := r.(*cache.PanicError); !ok || pe.Value != "handler panicked on panic:x" {
			t.Fatalf("recovered %#v, want a *cache.PanicError with the handler's value", r)
		}
	}
}

// flakyCache answers GetOrLoad with a fixed answer while it is set,
// standing for a cache that fails or holds bytes of another version.
type flakyCache struct {
	Cache
	mu     sync.Mutex
	data   []byte
	err    error
	faults int
}

func (f *flakyCache) GetOrLoad(ctx context.Context, key string, ld cache.Loader[string, []byte]) ([]byte, error) {
	f.mu.Lock()
	if f.faults > 0 {
		f.faults--
		data, err := f.data, f.err
		f.mu.Unlock()
		return data, err
	}
	f.mu.Unlock()
	return f.Cache.GetOrLoad(ctx, key, ld)
}

func TestServerFallsBackWhenTheCacheCannotAnswer(t *testing.T) {
	cases := map[string]struct {
		data []byte
		err  error
	}{
		"unknown layout":     {data: []byte{0xff, 1, 2}},
		"empty":              {data: []byte{}},
		"undecodable answer": {data: []byte{tagResponse, 0xff, 0xff}},
		"cache closed":       {err: cache.ErrClosed},
		"cache failing":      {err: errors.New("store unreachable")},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := testContext(t)
			flaky := &flakyCache{Cache: newCache(t, newFakeClock()), data: tc.data, err: tc.err, faults: 1}
			srv, conn := cachedServer(t, nil, Options{Cache: flaky})
			mustString(t, ctx, conn, methodUpper, "x", "X|")
			// The answer computed in the fallback was stored: a hit.
			mustString(t, ctx, conn, methodUpper, "x", "X|")
			if n := srv.Calls(methodUpper); n != 1 {
				t.Fatalf("handler ran %d times, want 1", n)
			}
		})
	}
	t.Run("closed cache", func(t *testing.T) {
		ctx := testContext(t)
		c := newCache(t, newFakeClock())
		c.Close()
		srv, conn := cachedServer(t, nil, Options{Cache: c})
		for range 2 {
			mustString(t, ctx, conn, methodUpper, "x", "X|")
		}
		if n := srv.Calls(methodUpper); n != 2 {
			t.Fatalf("handler ran %d times behind a closed cache, want 2", n)
		}
	})
}

// The handler runs with the first caller's context values: its metadata
// reaches the handler even though the call runs on the cache's goroutine.
func TestServerHandlerSeesTheCallersMetadata(t *testing.T) {
	ctx := testContext(t)
	srv, conn := cachedServer(t, newFakeClock(), Options{})
	seen := make(chan string, 1)
	srv.setBefore(func(ctx context.Context, _, _ string) error {
		md, _ := metadata.FromIncomingContext(ctx)
		seen <- fmt.Sprint(md.Get("x-trace"))
		return nil
	})
	mustString(t, metadata.AppendToOutgoingContext(ctx, "x-trace", "t-1"), conn, methodUpper, "x", "X|")
	if got := <-seen; got != "[t-1]" {
		t.Fatalf("handler saw x-trace %s, want [t-1]", got)
	}
}

// Keys hold a digest of the identity, never the credentials themselves, so
// neither the cache nor a shared store behind it keeps a caller's token.
func TestServerKeysHoldNoCredentials(t *testing.T) {
	ctx := testContext(t)
	c := newCache(t, newFakeClock())
	_, conn := cachedServer(t, nil, Options{Cache: c, Identity: AuthorizationIdentity})
	mustString(t, as(ctx, "Bearer s3cret-token"), conn, methodUpper, "x", "X|Bearer s3cret-token")
	keys := slices.Collect(c.Keys())
	if len(keys) != 1 {
		t.Fatalf("the cache holds %d keys, want 1", len(keys))
	}
	if strings.Contains(keys[0], "s3cret") {
		t.Fatalf("key %q holds the caller's token", keys[0])
	}
}
