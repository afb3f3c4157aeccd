package grpccache

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stratacache/cache"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

func TestInvalidOptionsNameTheField(t *testing.T) {
	c := newCache(t, nil)
	ok := map[string]Rule{methodUpper: {New: newString}}
	cases := []struct {
		opts  Options
		field string
	}{
		{Options{Methods: ok}, "Options.Cache "},
		{Options{Cache: c}, "Options.Methods "},
		{Options{Cache: c, Methods: map[string]Rule{"strata.test.Text/Upper": {New: newString}}}, `Options.Methods["strata.test.Text/Upper"] `},
		{Options{Cache: c, Methods: map[string]Rule{"/strata.test.Text": {New: newString}}}, `Options.Methods["/strata.test.Text"] `},
		{Options{Cache: c, Methods: map[string]Rule{"/a/b/c": {New: newString}}}, `Options.Methods["/a/b/c"] `},
		{Options{Cache: c, Methods: map[string]Rule{methodUpper: {TTL: -time.Second, New: newString}}}, `Options.Methods["/strata.test.Text/Upper"].TTL `},
		{Options{Cache: c, Methods: map[string]Rule{methodUpper: {NotFoundTTL: -1, New: newString}}}, `Options.Methods["/strata.test.Text/Upper"].NotFoundTTL `},
		{Options{Cache: c, Methods: map[string]Rule{methodUpper: {}}}, `Options.Methods["/strata.test.Text/Upper"].New is nil`},
		{Options{Cache: c, Methods: map[string]Rule{methodUpper: {New: func() proto.Message { return nil }}}}, `Options.Methods["/strata.test.Text/Upper"].New returned nil`},
		// Several bad rules: the first by name is reported, every time.
		{Options{Cache: c, Methods: map[string]Rule{"/b.S/M": {TTL: -1}, "/a.S/M": {TTL: -1}}}, `Options.Methods["/a.S/M"].TTL `},
	}
	for _, tc := range cases {
		_, err := UnaryServerInterceptor(tc.opts)
		if err == nil || !strings.HasPrefix(err.Error(), "grpccache: "+tc.field) || !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("error %v, want one starting %q that wraps ErrInvalidOptions", err, "grpccache: "+tc.field)
		}
	}
	// The client decodes into the caller's reply: it needs no New.
	if _, err := UnaryClientInterceptor(Options{Cache: c, Methods: map[string]Rule{methodUpper: {}}}); err != nil {
		t.Errorf("client interceptor without New: %v", err)
	}
	if _, err := UnaryClientInterceptor(Options{Cache: c, Methods: map[string]Rule{methodUpper: {TTL: -1}}}); err == nil {
		t.Error("client interceptor accepted a negative TTL")
	}
	if !errors.Is(ErrInvalidOptions, cache.ErrInvalidOptions) {
		t.Error("ErrInvalidOptions is not the cache package's")
	}
}

// Generated services register their methods; a rule for one needs no New.
func TestResponseTypeFromTheRegistry(t *testing.T) {
	const check = "/grpc.health.v1.Health/Check"
	ic, err := (&Options{Cache: newCache(t, nil), Methods: map[string]Rule{check: {}}}).compile(true)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ic.methods[check].newResponse().(*grpc_health_v1.HealthCheckResponse); !ok {
		t.Fatalf("response type %T, want *grpc_health_v1.HealthCheckResponse", ic.methods[check].newResponse())
	}
	_, err = UnaryServerInterceptor(Options{Cache: newCache(t, nil), Methods: map[string]Rule{"/grpc.health.v1.Health/Nope": {}}})
	if err == nil || !strings.Contains(err.Error(), "not in the protobuf registry") {
		t.Fatalf("unknown method: %v", err)
	}
}

func TestMetadataIdentityIsUnambiguous(t *testing.T) {
	id := MetadataIdentity("Authorization", "x-tenant")
	ctx := context.Background()
	mds := []metadata.MD{
		{},
		metadata.Pairs("authorization", ""),
		metadata.Pairs("authorization", "ab"),
		metadata.Pairs("authorization", "a", "authorization", "b"),
		metadata.Pairs("authorization", "b", "authorization", "a"),
		metadata.Pairs("x-tenant", "ab"),
		metadata.Pairs("authorization", "a", "x-tenant", "b"),
		metadata.Pairs("authorization", "ab", "x-tenant", ""),
	}
	seen := map[string]int{}
	for i, md := range mds {
		s, ok := id(ctx, md)
		if !ok {
			t.Fatalf("MetadataIdentity refused %v", md)
		}
		if j, dup := seen[s]; dup {
			t.Fatalf("metadata %v and %v have the same identity", mds[j], md)
		}
		seen[s] = i
	}
	// Other metadata does not count.
	a, _ := id(ctx, metadata.Pairs("authorization", "a", "x-other", "1"))
	b, _ := id(ctx, metadata.Pairs("authorization", "a", "x-other", "2"))
	if a != b {
		t.Fatal("metadata outside the keys changed the identity")
	}
	d1, _ := DefaultIdentity(ctx, metadata.Pairs("authorization", "a"))
	d2, _ := DefaultIdentity(ctx, metadata.Pairs("authorization", "b"))
	if d1 == d2 {
		t.Fatal("DefaultIdentity ignores the authorization metadata")
	}
}
