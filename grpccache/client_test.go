package grpccache

import (
	"context"
	"testing"
	"time"

	"github.com/stratacache/cache"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// clientRules are textRules without New, which the client does not need.
func clientRules() map[string]Rule {
	return map[string]Rule{
		methodUpper:  {TTL: time.Minute},
		methodLower:  {TTL: time.Minute},
		methodLookup: {TTL: time.Minute, NotFoundTTL: 30 * time.Second},
	}
}

// cachingClient starts the test service without a cache and returns it
// with a connection whose client interceptor caches with opts (Cache
// defaults to a fresh cache on clk, Methods to clientRules).
func cachingClient(t *testing.T, clk cache.Clock, opts Options) (*textServer, *grpc.ClientConn) {
	t.Helper()
	if opts.Cache == nil {
		opts.Cache = newCache(t, clk)
	}
	if opts.Methods == nil {
		opts.Methods = clientRules()
	}
	srv := newTextServer()
	return srv, dial(t, serve(t, srv), clientInterceptor(t, opts))
}

func TestClientRepeatedCallsAreAnsweredLocally(t *testing.T) {
	ctx := testContext(t)
	clk := newFakeClock()
	srv, conn := cachingClient(t, clk, Options{})
	for range 3 {
		mustString(t, ctx, conn, methodUpper, "x", "X|")
		mustString(t, ctx, conn, methodLower, "X", "x|")
	}
	if up, low := srv.Calls(methodUpper), srv.Calls(methodLower); up != 1 || low != 1 {
		t.Fatalf("server calls: Upper %d, Lower %d; want 1 each", up, low)
	}
	clk.Advance(61 * time.Second)
	mustString(t, ctx, conn, methodUpper, "x", "X|")
	if n := srv.Calls(methodUpper); n != 2 {
		t.Fatalf("server calls after the TTL: %d, want 2", n)
	}
	mustString(t, ctx, conn, methodUncache, "x", "x|")
	mustString(t, ctx, conn, methodUncache, "x", "x|")
	if n := srv.Calls(methodUncache); n != 2 {
		t.Fatalf("server calls of an unlisted method: %d, want 2", n)
	}
}

// The reply a caller gets is its own: changing it does not change what
// the next caller gets.
func TestClientRepliesAreCopies(t *testing.T) {
	ctx := testContext(t)
	_, conn := cachingClient(t, newFakeClock(), Options{})
	out := new(wrapperspb.StringValue)
	if err := conn.Invoke(ctx, methodUpper, wrapperspb.String("x"), out); err != nil {
		t.Fatal(err)
	}
	out.Value = "changed"
	mustString(t, ctx, conn, methodUpper, "x", "X|")
}

func TestClientIdentityAndTargetKeepAnswersApart(t *testing.T) {
	ctx := testContext(t)
	shared := Options{Cache: newCache(t, newFakeClock()), Methods: clientRules(), Identity: AuthorizationIdentity}
	srvA, srvB := newTextServer(), newTextServer()
	connA := dial(t, serve(t, srvA), clientInterceptor(t, shared))
	connB := dial(t, serve(t, srvB), clientInterceptor(t, shared))
	for range 2 {
		mustString(t, as(ctx, "Bearer alice"), connA, methodUpper, "x", "X|Bearer alice")
		mustString(t, as(ctx, "Bearer bob"), connA, methodUpper, "x", "X|Bearer bob")
		mustString(t, as(ctx, "Bearer alice"), connB, methodUpper, "x", "X|Bearer alice")
	}
	if a, b := srvA.Calls(methodUpper), srvB.Calls(methodUpper); a != 2 || b != 1 {
		t.Fatalf("server calls: A %d (2 users), B %d (1 user); want 2 and 1", a, b)
	}
}

func TestClientNotFoundCachedOtherErrorsNot(t *testing.T) {
	ctx := testContext(t)
	srv, conn := cachingClient(t, newFakeClock(), Options{})
	var first error
	for i := range 2 {
		_, err := lookup(ctx, conn, "missing:x")
		if status.Code(err) != codes.NotFound {
			t.Fatalf("Lookup(missing): %v", err)
		}
		if i == 0 {
			first = err
		} else if err.Error() != first.Error() || len(status.Convert(err).Details()) != 1 {
			t.Fatalf("replayed %v, want %v with its detail", err, first)
		}
		if _, err := lookup(ctx, conn, "broken:x"); status.Code(err) != codes.Unavailable {
			t.Fatalf("Lookup(broken): %v", err)
		}
	}
	if n := srv.Calls(methodLookup); n != 3 {
		t.Fatalf("server calls: %d, want 3 (one NotFound, two Unavailable)", n)
	}
}

// Calls that ask for what only a real call gives, headers say, always
// reach the server.
func TestClientCallOptionsNeedingARealCallBypass(t *testing.T) {
	ctx := testContext(t)
	srv, conn := cachingClient(t, newFakeClock(), Options{})
	for range 2 {
		var header metadata.MD
		if _, err := callString(ctx, conn, methodUpper, "x", grpc.Header(&header)); err != nil {
			t.Fatal(err)
		}
		if header == nil {
			t.Fatal("grpc.Header was not filled in")
		}
	}
	if n := srv.Calls(methodUpper); n != 2 {
		t.Fatalf("server calls with grpc.Header: %d, want 2", n)
	}
	mustString(t, ctx, conn, methodUpper, "x", "X|")
	mustString(t, ctx, conn, methodUpper, "x", "X|")
	if n := srv.Calls(methodUpper); n != 3 {
		t.Fatalf("server calls: %d, want 3", n)
	}
}

func TestClientConcurrentIdenticalCallsMakeOneServerCall(t *testing.T) {
	ctx := testContext(t)
	const callers = 100
	arrived := newArrivals(newCache(t, newFakeClock()), callers)
	srv := newTextServer()
	srv.setBefore(func(context.Context, string, string) error { return awaitGate(arrived.All()) })
	conn := dial(t, serve(t, srv), clientInterceptor(t, Options{Cache: arrived, Methods: clientRules()}))

	callAtOnce(t, ctx, conn, callers)
	if n := srv.Calls(methodUpper); n != 1 {
		t.Fatalf("server calls for %d concurrent identical calls: %d, want 1", callers, n)
	}
}
