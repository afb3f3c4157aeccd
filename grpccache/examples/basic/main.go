// Command basic is the complete example of docs/grpc.md: a directory
// service whose Lookup answers are cached by grpccache on the server, and
// again on a client, called over loopback by two users.
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"sync/atomic"
	"time"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/grpccache"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const lookupMethod = "/demo.Directory/Lookup"

var lookups atomic.Int64 // how often the handler really ran

// lookup is the handler: think of a database query.
func lookup(_ context.Context, name *wrapperspb.StringValue) (*structpb.Struct, error) {
	lookups.Add(1)
	if name.GetValue() == "nobody" {
		return nil, status.Error(codes.NotFound, "no such person")
	}
	return structpb.NewStruct(map[string]any{"name": name.GetValue(), "team": "storage"})
}

// directory is what protoc-gen-go-grpc would generate for a one-method
// service; it is written out here so that the example needs no generator.
var directory = grpc.ServiceDesc{
	ServiceName: "demo.Directory",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Lookup",
		Handler: func(_ any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.StringValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			handler := func(ctx context.Context, req any) (any, error) {
				return lookup(ctx, req.(*wrapperspb.StringValue))
			}
			if icpt == nil {
				return handler(ctx, in)
			}
			return icpt(ctx, in, &grpc.UnaryServerInfo{FullMethod: lookupMethod}, handler)
		},
	}},
}

// newResponseCache makes the cache that holds encoded answers, bounded by
// their size in bytes.
func newResponseCache() *cache.Cache[string, []byte] {
	return cache.Must(cache.New(cache.Options[string, []byte]{
		MaxWeight:   64 << 20, // 64 MiB of keys and answers
		Weigher:     func(k string, v []byte) uint32 { return uint32(len(k) + len(v)) },
		TTL:         time.Minute,     // for rules with TTL 0
		LoadTimeout: 5 * time.Second, // bounds a handler run on a miss
	}))
}

func main() {
	// The server side: Lookup answers live 30s, "no such person" 5s.
	serverCache := newResponseCache()
	defer serverCache.Close()
	cached, err := grpccache.UnaryServerInterceptor(grpccache.Options{
		Cache: serverCache,
		Methods: map[string]grpccache.Rule{
			lookupMethod: {
				TTL:         30 * time.Second,
				NotFoundTTL: 5 * time.Second,
				// Generated services need no New: the response type is
				// found in the protobuf registry.
				New: func() proto.Message { return new(structpb.Struct) },
			},
		},
		// Required: how callers are told apart. These callers send a
		// bearer token; calls without one are not cached. Services that
		// know callers by their client certificate use
		// grpccache.PeerCertificateIdentity instead.
		Identity: grpccache.AuthorizationIdentity,
	})
	if err != nil {
		log.Fatal(err)
	}
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(cached))
	srv.RegisterService(&directory, nil)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	for _, user := range []string{"alice", "alice", "bob"} {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+user)
		out := new(structpb.Struct)
		err := conn.Invoke(ctx, lookupMethod, wrapperspb.String("ada"), out)
		fmt.Println(user, "->", out.Fields["team"].GetStringValue(), err)
	}
	// alice's second call was a hit; bob has an entry of his own.
	fmt.Println("handler runs:", lookups.Load()) // 2

	// The client side: the same rules, answering repeats with no round
	// trip at all. The client decodes into the caller's reply: no New.
	clientCache := newResponseCache()
	defer clientCache.Close()
	local, err := grpccache.UnaryClientInterceptor(grpccache.Options{
		Cache:    clientCache,
		Methods:  map[string]grpccache.Rule{lookupMethod: {TTL: 10 * time.Second}},
		Identity: grpccache.AuthorizationIdentity, // the outgoing metadata's
	})
	if err != nil {
		log.Fatal(err)
	}
	cconn, err := grpc.NewClient(lis.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithChainUnaryInterceptor(local))
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = cconn.Close() }()
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer carol")
	for range 3 {
		if err := cconn.Invoke(ctx, lookupMethod, wrapperspb.String("ada"), new(structpb.Struct)); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("client hits: %d of 3\n", clientCache.Stats().Hits) // 2
	fmt.Println("handler runs:", lookups.Load())                   // 3
}
