package main

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const getItemMethod = "/demo.Catalog/GetItem"

// backend stands in for a database: every call costs latency.
type backend struct {
	latency time.Duration
	calls   atomic.Int64
}

// getItem is the handler of GetItem: it looks an item up in the slow
// backend. Ids are "item-N"; anything else does not exist.
func (b *backend) getItem(ctx context.Context, req *wrapperspb.StringValue) (*structpb.Struct, error) {
	b.calls.Add(1)
	t := time.NewTimer(b.latency)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	n, err := strconv.Atoi(strings.TrimPrefix(req.GetValue(), "item-"))
	if err != nil || !strings.HasPrefix(req.GetValue(), "item-") {
		return nil, status.Errorf(codes.NotFound, "no item %q", req.GetValue())
	}
	return structpb.NewStruct(map[string]any{
		"id":    req.GetValue(),
		"title": "Item number " + strconv.Itoa(n),
		"price": float64(n%500) + 0.99,
		"stock": float64(n % 17),
	})
}

// catalog describes the service to gRPC. Generated code would provide it;
// it is written out so that the demo needs no code generator.
var catalog = grpc.ServiceDesc{
	ServiceName: "demo.Catalog",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "GetItem",
		Handler: func(srv any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.StringValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			handler := func(ctx context.Context, req any) (any, error) {
				return srv.(*backend).getItem(ctx, req.(*wrapperspb.StringValue))
			}
			if icpt == nil {
				return handler(ctx, in)
			}
			return icpt(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: getItemMethod}, handler)
		},
	}},
}
