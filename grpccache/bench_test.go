package grpccache

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// BenchmarkUnaryLoopback times one unary call over loopback TCP, one call
// at a time, without a cache and with an answer cached on the server or on
// the client. "backend" is the handler's own time: none, or a 1ms sleep
// standing for a backend call.
func BenchmarkUnaryLoopback(b *testing.B) {
	for _, work := range []time.Duration{0, time.Millisecond} {
		for _, where := range []string{"uncached", "server-hit", "client-hit"} {
			b.Run("backend="+work.String()+"/"+where, func(b *testing.B) {
				srv := newTextServer()
				if work > 0 {
					srv.setBefore(func(context.Context, string, string) error {
						time.Sleep(work) // stands for a backend call
						return nil
					})
				}
				var (
					sopts []grpc.ServerOption
					dopts []grpc.DialOption
				)
				switch where {
				case "server-hit":
					sopts = append(sopts, serverInterceptor(b, Options{Cache: newCache(b, nil), Methods: textRules(), Identity: AuthorizationIdentity}))
				case "client-hit":
					dopts = append(dopts, clientInterceptor(b, Options{Cache: newCache(b, nil), Methods: clientRules(), Identity: AuthorizationIdentity}))
				}
				conn := dial(b, serve(b, srv, sopts...), dopts...)
				ctx := as(context.Background(), "Bearer benchmark-user-token")
				in, out := wrapperspb.String("a request of moderate size"), new(wrapperspb.StringValue)
				if err := conn.Invoke(ctx, methodUpper, in, out); err != nil { // warm the cache
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if err := conn.Invoke(ctx, methodUpper, in, out); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkServerInterceptorHit times the interceptor alone answering a
// hit, without the transport: the key (encoding and SHA-256), the lookup
// and the decode.
func BenchmarkServerInterceptorHit(b *testing.B) {
	icpt, err := UnaryServerInterceptor(Options{Cache: newCache(b, nil), Methods: textRules(), Identity: AuthorizationIdentity})
	if err != nil {
		b.Fatal(err)
	}
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer benchmark-user-token"))
	info := &grpc.UnaryServerInfo{FullMethod: methodUpper}
	handler := func(context.Context, any) (any, error) { return wrapperspb.String("AN ANSWER"), nil }
	req := wrapperspb.String("a request of moderate size")
	if _, err := icpt(ctx, req, info, handler); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := icpt(ctx, req, info, handler); err != nil {
			b.Fatal(err)
		}
	}
}
