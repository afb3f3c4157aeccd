package grpccache

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratacache/cache/internal/fakeclock"

	"github.com/stratacache/cache"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The test service, written by hand so that no code generator is needed:
// every method takes a StringValue.
const (
	serviceName   = "strata.test.Text"
	methodUpper   = "/" + serviceName + "/Upper"  // StringValue: the value upper-cased
	methodLower   = "/" + serviceName + "/Lower"  // StringValue: the value lower-cased
	methodLookup  = "/" + serviceName + "/Lookup" // Struct, NotFound or Unavailable
	methodUncache = "/" + serviceName + "/Echo"   // StringValue: never listed as cacheable
)

// Every answer ends with "|" and the caller's authorization values, then,
// over TLS with a client certificate, "@" and the certificate's common
// name, so a test sees at once whose answer a caller got.
//
// Lookup answers by the request's prefix: "missing:" gets NotFound with a
// detail, "broken:" gets Unavailable, "panic:" panics, anything else a
// Struct.
type textServer struct {
	mu    sync.Mutex
	calls map[string]int

	// before, if set, runs at the start of every handler call; an error
	// it returns is the call's answer. Set it with setBefore.
	before func(ctx context.Context, method, value string) error
}

func (s *textServer) setBefore(f func(ctx context.Context, method, value string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.before = f
}

func newTextServer() *textServer { return &textServer{calls: map[string]int{}} }

// Calls returns how many times the handler of method ran.
func (s *textServer) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

func (s *textServer) handle(ctx context.Context, method string, req *wrapperspb.StringValue) (proto.Message, error) {
	s.mu.Lock()
	s.calls[method]++
	before := s.before
	s.mu.Unlock()
	if before != nil {
		if err := before(ctx, method, req.GetValue()); err != nil {
			return nil, err
		}
	}
	md, _ := metadata.FromIncomingContext(ctx)
	caller := strings.Join(md.Get("authorization"), ",")
	if p, ok := peer.FromContext(ctx); ok {
		if info, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(info.State.PeerCertificates) > 0 {
			caller += "@" + info.State.PeerCertificates[0].Subject.CommonName
		}
	}
	v := req.GetValue()
	switch method {
	case methodUpper:
		return wrapperspb.String(strings.ToUpper(v) + "|" + caller), nil
	case methodLower:
		return wrapperspb.String(strings.ToLower(v) + "|" + caller), nil
	case methodUncache:
		return wrapperspb.String(v + "|" + caller), nil
	}
	switch {
	case strings.HasPrefix(v, "missing:"):
		st, err := status.New(codes.NotFound, "no such thing: "+v).WithDetails(wrapperspb.String("hint for " + v))
		if err != nil {
			return nil, err
		}
		return nil, st.Err()
	case strings.HasPrefix(v, "broken:"):
		return nil, status.Error(codes.Unavailable, "backend down for "+v)
	case strings.HasPrefix(v, "panic:"):
		panic("handler panicked on " + v)
	}
	return structpb.NewStruct(map[string]any{"name": v, "caller": caller})
}

func textMethod(name string) grpc.MethodDesc {
	full := "/" + serviceName + "/" + name
	return grpc.MethodDesc{
		MethodName: name,
		Handler: func(srv any, ctx context.Context, dec func(any) error, next grpc.UnaryServerInterceptor) (any, error) {
			req := new(wrapperspb.StringValue)
			if err := dec(req); err != nil {
				return nil, err
			}
			handler := func(ctx context.Context, req any) (any, error) {
				return srv.(*textServer).handle(ctx, full, req.(*wrapperspb.StringValue))
			}
			if next == nil {
				return handler(ctx, req)
			}
			return next(ctx, req, &grpc.UnaryServerInfo{Server: srv, FullMethod: full}, handler)
		},
	}
}

var textServiceDesc = grpc.ServiceDesc{
	ServiceName: serviceName,
	HandlerType: (*any)(nil),
	Methods:     []grpc.MethodDesc{textMethod("Upper"), textMethod("Lower"), textMethod("Lookup"), textMethod("Echo")},
	Metadata:    "hand-written for tests",
}

// newString and newStruct are the Rule.New of the test methods, which are
// not in the protobuf registry.
func newString() proto.Message { return new(wrapperspb.StringValue) }
func newStruct() proto.Message { return new(structpb.Struct) }

// serve starts a gRPC server for srv on a loopback port and returns its
// address; the test stops it.
func serve(t testing.TB, srv *textServer, opts ...grpc.ServerOption) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(opts...)
	s.RegisterService(&textServiceDesc, srv)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(lis)
	}()
	t.Cleanup(func() {
		s.Stop()
		<-done
	})
	return lis.Addr().String()
}

// dial connects to addr over plain TCP; the test closes the connection.
func dial(t testing.TB, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	opts = append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// newCache returns a byte cache on clk with a ten-minute default TTL,
// closed by the test.
func newCache(t testing.TB, clk cache.Clock) *cache.Cache[string, []byte] {
	t.Helper()
	c, err := cache.New(cache.Options[string, []byte]{
		MaxWeight: 64 << 20,
		Weigher:   func(k string, v []byte) uint32 { return uint32(len(k) + len(v)) },
		TTL:       10 * time.Minute,
		Clock:     clk,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// serverInterceptor and clientInterceptor build interceptors with opts,
// whose Identity defaults to SharedByEveryone: most tests are about
// something else, and make their calls with no credentials at all. The
// tests of identities set theirs.
func serverInterceptor(t testing.TB, opts Options) grpc.ServerOption {
	t.Helper()
	if opts.Identity == nil {
		opts.Identity = SharedByEveryone
	}
	icpt, err := UnaryServerInterceptor(opts)
	if err != nil {
		t.Fatal(err)
	}
	return grpc.ChainUnaryInterceptor(icpt)
}

func clientInterceptor(t testing.TB, opts Options) grpc.DialOption {
	t.Helper()
	if opts.Identity == nil {
		opts.Identity = SharedByEveryone
	}
	icpt, err := UnaryClientInterceptor(opts)
	if err != nil {
		t.Fatal(err)
	}
	return grpc.WithChainUnaryInterceptor(icpt)
}

// as returns ctx with the given authorization values.
func as(ctx context.Context, authorization ...string) context.Context {
	for _, a := range authorization {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", a)
	}
	return ctx
}

// callString calls a StringValue method and returns the answer's value.
func callString(ctx context.Context, conn *grpc.ClientConn, method, value string, opts ...grpc.CallOption) (string, error) {
	out := new(wrapperspb.StringValue)
	if err := conn.Invoke(ctx, method, wrapperspb.String(value), out, opts...); err != nil {
		return "", err
	}
	return out.GetValue(), nil
}

// mustString is callString for calls that must succeed with want.
func mustString(t testing.TB, ctx context.Context, conn *grpc.ClientConn, method, value, want string) {
	t.Helper()
	got, err := callString(ctx, conn, method, value)
	if err != nil {
		t.Fatalf("%s(%q): %v", method, value, err)
	}
	if got != want {
		t.Fatalf("%s(%q) = %q, want %q", method, value, got, want)
	}
}

// lookup calls Lookup.
func lookup(ctx context.Context, conn *grpc.ClientConn, value string) (*structpb.Struct, error) {
	out := new(structpb.Struct)
	err := conn.Invoke(ctx, methodLookup, wrapperspb.String(value), out)
	return out, err
}

// testContext is a context that ends with the test, bounded so that a
// broken test fails instead of hanging.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fakeClock is a cache.Clock that moves only when a test advances it.
type fakeClock = fakeclock.Clock

func newFakeClock() *fakeClock { return fakeclock.New() }

// arrivals wraps a Cache and closes All once n calls of GetOrLoad have
// begun, so that a gated handler can wait for every caller to be inside
// the cache before it answers.
type arrivals struct {
	Cache
	n, seen int
	mu      sync.Mutex
	all     chan struct{}
}

func newArrivals(c Cache, n int) *arrivals {
	return &arrivals{Cache: c, n: n, all: make(chan struct{})}
}

func (a *arrivals) GetOrLoad(ctx context.Context, key string, ld cache.Loader[string, []byte]) ([]byte, error) {
	a.mu.Lock()
	if a.seen++; a.seen == a.n {
		close(a.all)
	}
	a.mu.Unlock()
	return a.Cache.GetOrLoad(ctx, key, ld)
}

// All is closed once n callers have arrived.
func (a *arrivals) All() <-chan struct{} { return a.all }

// awaitGate waits for ch, failing the handler call after a generous bound
// so that a broken test fails instead of hanging.
func awaitGate(ch <-chan struct{}) error {
	t := time.NewTimer(20 * time.Second)
	defer t.Stop()
	select {
	case <-ch:
		return nil
	case <-t.C:
		return status.Error(codes.DeadlineExceeded, "test gate never opened")
	}
}

// TestMain fails the run if goroutines outlive the tests: every server,
// connection and cache is closed by its test, so what is left is a leak.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := leftoverGoroutines(); leaked != "" {
			fmt.Fprintln(os.Stderr, "goroutines leaked by the tests:\n"+leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// leftoverGoroutines returns the stacks of goroutines still running
// package or gRPC code, waiting a little for those that are on their way
// out (a closed connection's reader ends asynchronously).
func leftoverGoroutines() string {
	deadline := time.Now().Add(5 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var leaked []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "TestMain") || strings.Contains(g, "leftoverGoroutines") {
				continue
			}
			if strings.Contains(g, "google.golang.org/grpc") || strings.Contains(g, "stratacache") {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// callAtOnce makes callers identical Upper("storm") calls at the same time
// and fails the test if any of them errs or gets a wrong answer.
func callAtOnce(t *testing.T, ctx context.Context, conn *grpc.ClientConn, callers int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			got, err := callString(ctx, conn, methodUpper, "storm")
			if err == nil && got != "STORM|" {
				err = fmt.Errorf("got %q", got)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
