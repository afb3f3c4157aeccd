package grpccache

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// UnaryClientInterceptor returns an interceptor that answers calls to the
// methods in opts.Methods from opts.Cache without calling the server, or
// an error naming the option at fault (wrapping ErrInvalidOptions). The
// rules are the server interceptor's: same key, TTL, NotFound caching,
// one call to the server for identical concurrent calls. Rule.New is not
// used: answers are decoded into the reply the caller passes.
//
// The identity is computed from the outgoing metadata, and the key also
// holds the connection's target, so one interceptor can serve connections
// to different servers. Credentials that grpc.WithPerRPCCredentials adds
// to a connection, and its client certificate, are not seen: under an
// identity that looks for credentials in the metadata such calls are not
// cached. To cache them, give each set of connection credentials a Cache
// of its own (then SharedByEveryone shares answers between the callers of
// those credentials only). Calls with call options that a cached answer
// cannot honour (grpc.PerRPCCredentials, grpc.Header, grpc.Trailer,
// grpc.Peer) are not cached.
//
// On a miss the call to the server runs on a goroutine of the cache with
// the first caller's context values and call options, but not its
// deadline or cancellation, on copies of the request and reply; bound it
// with the cache's LoadTimeout.
func UnaryClientInterceptor(opts Options) (grpc.UnaryClientInterceptor, error) {
	ic, err := opts.compile(false)
	if err != nil {
		return nil, err
	}
	return ic.invoke, nil
}

func (ic *interceptor) invoke(ctx context.Context, fullMethod string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	m := ic.methods[fullMethod]
	if m == nil || !cacheableCall(opts) {
		return invoker(ctx, fullMethod, req, reply, cc, opts...)
	}
	in, ok := req.(proto.Message)
	out, ok2 := reply.(proto.Message)
	if !ok || !ok2 {
		return invoker(ctx, fullMethod, req, reply, cc, opts...)
	}
	md, _ := metadata.FromOutgoingContext(ctx)
	key, reqAt, ok := ic.key(ctx, m.name, cc.Target(), md, in)
	if !ok {
		return invoker(ctx, fullMethod, req, reply, cc, opts...)
	}
	inType, outType := in.ProtoReflect().Type(), out.ProtoReflect().Type()
	err := ic.fetch(ctx, m, key, out, func(ctx context.Context) (any, error) {
		// The caller owns req and reply again as soon as it stops
		// waiting, which may be before this call ends: use copies. The
		// key holds the request's encoding.
		req := inType.New().Interface()
		if err := proto.Unmarshal([]byte(key[reqAt:]), req); err != nil {
			return nil, err
		}
		reply := outType.New().Interface()
		if err := invoker(ctx, fullMethod, req, reply, cc, opts...); err != nil {
			return nil, err
		}
		return reply, nil
	})
	if err == errBypass {
		err = invoker(ctx, fullMethod, req, reply, cc, opts...)
		ic.store(m, key, reply, err)
	}
	return err
}

// cacheableCall reports whether a call's options allow a cached answer:
// none asks for something only a real call gives (headers, trailers, the
// peer) or changes the caller's credentials.
func cacheableCall(opts []grpc.CallOption) bool {
	for _, o := range opts {
		switch o.(type) {
		case grpc.PerRPCCredsCallOption, grpc.HeaderCallOption, grpc.TrailerCallOption, grpc.PeerCallOption:
			return false
		}
	}
	return true
}
