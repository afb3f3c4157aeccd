package grpccache

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// UnaryServerInterceptor returns an interceptor that answers calls to the
// methods in opts.Methods from opts.Cache, or an error naming the option
// at fault (wrapping ErrInvalidOptions).
//
// A call to a listed method whose answer is cached gets a fresh copy of
// it, decoded from the cached bytes, and the handler does not run. On a
// miss the handler runs once however many identical calls (same method,
// request and identity: see the package documentation) arrive while it
// runs, and they all get its answer. A response is cached for the rule's
// TTL; an error is not cached, except NotFound for the rule's NotFoundTTL,
// which is then replayed with its message and details.
//
// On a miss the handler runs on a goroutine of the cache, with the
// context values of the first caller (metadata, peer, auth info, trace)
// but not its deadline or cancellation: a caller that gives up does not
// cancel the others' answer. Bound handler runs with the cache's
// LoadTimeout. Headers and trailers a handler sets are not cached, and
// reach at most the first caller: cacheable methods should not set them.
// A panic in the handler is raised again in every caller that waited for
// it, as a *cache.PanicError. Calls to other methods, calls whose request
// is not a protobuf message, and calls whose identity function says no
// go straight to the handler, as do all calls while the cache fails.
//
// A hit costs a key (a deterministic encoding of the request and a
// SHA-256 of the identity), a cache lookup and a decode; it allocates.
func UnaryServerInterceptor(opts Options) (grpc.UnaryServerInterceptor, error) {
	ic, err := opts.compile(true)
	if err != nil {
		return nil, err
	}
	return ic.serve, nil
}

func (ic *interceptor) serve(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	m := ic.methods[info.FullMethod]
	if m == nil {
		return handler(ctx, req)
	}
	in, ok := req.(proto.Message)
	if !ok {
		return handler(ctx, req)
	}
	md, _ := metadata.FromIncomingContext(ctx)
	key, _, ok := ic.key(ctx, m.name, "", md, in)
	if !ok {
		return handler(ctx, req)
	}
	out := m.newResponse()
	err := ic.fetch(ctx, m, key, out, func(ctx context.Context) (any, error) {
		return handler(ctx, req)
	})
	switch err {
	case nil:
		return out, nil
	case errBypass:
		resp, err := handler(ctx, req)
		ic.store(m, key, resp, err)
		return resp, err
	}
	return nil, err
}
