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
	id := AuthorizationIdentity
	cases := []struct {
		opts  Options
		field string
	}{
		{Options{Methods: ok, Identity: id}, "Options.Cache "},
		// A nil *cache.Cache would make every call panic.
		{Options{Cache: (*cache.Cache[string, []byte])(nil), Methods: ok, Identity: id}, "Options.Cache "},
		{Options{Cache: c, Identity: id}, "Options.Methods "},
		{Options{Cache: c, Methods: ok}, "Options.Identity is nil; choose how callers are told apart"},
		{Options{Cache: c, Identity: id, Methods: map[string]Rule{"strata.test.Text/Upper": {New: newString}}}, `Options.Methods["strata.test.Text/Upper"] `},
		{Options{Cache: c, Identity: id, Methods: map[string]Rule{"/strata.test.Text": {New: newString}}}, `Options.Methods["/strata.test.Text"] `},
		{Options{Cache: c, Identity: id, Methods: map[string]Rule{"/a/b/c": {New: newString}}}, `Options.Methods["/a/b/c"] `},
		{Options{Cache: c, Identity: id, Methods: map[string]Rule{methodUpper: {TTL: -time.Second, New: newString}}}, `Options.Methods["/strata.test.Text/Upper"].TTL `},
		{Options{Cache: c, Identity: id, Methods: map[string]Rule{methodUpper: {NotFoundTTL: -1, New: newString}}}, `Options.Methods["/strata.test.Text/Upper"].NotFoundTTL `},
		{Options{Cache: c, Identity: id, Methods: map[string]Rule{methodUpper: {}}}, `Options.Methods["/strata.test.Text/Upper"].New is nil`},
		{Options{Cache: c, Identity: id, Methods: map[string]Rule{methodUpper: {New: func() proto.Message { return nil }}}}, `Options.Methods["/strata.test.Text/Upper"].New returned nil`},
		// Several bad rules: the first by name is reported, every time.
		{Options{Cache: c, Identity: id, Methods: map[string]Rule{"/b.S/M": {TTL: -1}, "/a.S/M": {TTL: -1}}}, `Options.Methods["/a.S/M"].TTL `},
	}
	for _, tc := range cases {
		_, err := UnaryServerInterceptor(tc.opts)
		if err == nil || !strings.HasPrefix(err.Error(), "grpccache: "+tc.field) || !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("error %v, want one starting %q that wraps ErrInvalidOptions", err, "grpccache: "+tc.field)
		}
	}
	// The client decodes into the caller's reply: it needs no New.
	if _, err := UnaryClientInterceptor(Options{Cache: c, Identity: id, Methods: map[string]Rule{methodUpper: {}}}); err != nil {
		t.Errorf("client interceptor without New: %v", err)
	}
	if _, err := UnaryClientInterceptor(Options{Cache: c, Identity: id, Methods: map[string]Rule{methodUpper: {TTL: -1}}}); err == nil {
		t.Error("client interceptor accepted a negative TTL")
	}
	if !errors.Is(ErrInvalidOptions, cache.ErrInvalidOptions) {
		t.Error("ErrInvalidOptions is not the cache package's")
	}
}

// No interceptor, server or client, is built without an identity chosen:
// the error names the field and the choices.
func TestIdentityIsRequired(t *testing.T) {
	opts := Options{Cache: newCache(t, nil), Methods: map[string]Rule{methodUpper: {New: newString}}}
	for name, build := range map[string]func(Options) error{
		"server": func(o Options) error { _, err := UnaryServerInterceptor(o); return err },
		"client": func(o Options) error { _, err := UnaryClientInterceptor(o); return err },
	} {
		err := build(opts)
		if err == nil || !errors.Is(err, ErrInvalidOptions) {
			t.Fatalf("%s interceptor without Identity: %v, want an options error", name, err)
		}
		for _, want := range []string{"Options.Identity is nil", "AuthorizationIdentity", "MetadataIdentity", "PeerCertificateIdentity", "SharedByEveryone"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not mention %s", name, err, want)
			}
		}
		opts.Identity = AuthorizationIdentity
		if err := build(opts); err != nil {
			t.Fatalf("%s interceptor with an identity: %v", name, err)
		}
		opts.Identity = nil
	}
}

// Generated services register their methods; a rule for one needs no New.
func TestResponseTypeFromTheRegistry(t *testing.T) {
	const check = "/grpc.health.v1.Health/Check"
	ic, err := (&Options{Cache: newCache(t, nil), Methods: map[string]Rule{check: {}}, Identity: SharedByEveryone}).compile(true)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ic.methods[check].newResponse().(*grpc_health_v1.HealthCheckResponse); !ok {
		t.Fatalf("response type %T, want *grpc_health_v1.HealthCheckResponse", ic.methods[check].newResponse())
	}
	_, err = UnaryServerInterceptor(Options{Cache: newCache(t, nil), Methods: map[string]Rule{"/grpc.health.v1.Health/Nope": {}}, Identity: SharedByEveryone})
	if err == nil || !strings.Contains(err.Error(), "not in the protobuf registry") {
		t.Fatalf("unknown method: %v", err)
	}
}

func TestMetadataIdentityIsUnambiguous(t *testing.T) {
	id := MetadataIdentity("Authorization", "x-tenant")
	ctx := context.Background()
	mds := []metadata.MD{
		metadata.Pairs("authorization", "ab", "x-tenant", "t"),
		metadata.Pairs("authorization", "a", "authorization", "b", "x-tenant", "t"),
		metadata.Pairs("authorization", "b", "authorization", "a", "x-tenant", "t"),
		metadata.Pairs("authorization", "a", "authorization", "", "x-tenant", "t"),
		metadata.Pairs("authorization", "a", "x-tenant", "bt"),
		metadata.Pairs("authorization", "ab", "x-tenant", "t", "x-tenant", ""),
		metadata.Pairs("authorization", "t", "x-tenant", "ab"),
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
	a, _ := id(ctx, metadata.Pairs("authorization", "a", "x-tenant", "t", "x-other", "1"))
	b, _ := id(ctx, metadata.Pairs("authorization", "a", "x-tenant", "t", "x-other", "2"))
	if a != b {
		t.Fatal("metadata outside the keys changed the identity")
	}
	d1, _ := AuthorizationIdentity(ctx, metadata.Pairs("authorization", "a"))
	d2, _ := AuthorizationIdentity(ctx, metadata.Pairs("authorization", "b"))
	if d1 == d2 {
		t.Fatal("AuthorizationIdentity ignores the authorization metadata")
	}
}

// A call that lacks a key, or has only empty values for it, is refused:
// callers the identity cannot tell apart must not share answers.
func TestIdentitiesRefuseCallsLackingWhatTheyLookAt(t *testing.T) {
	ctx := context.Background()
	refused := []struct {
		name string
		id   IdentityFunc
		md   metadata.MD
	}{
		{"authorization absent", AuthorizationIdentity, metadata.MD{}},
		{"authorization empty", AuthorizationIdentity, metadata.Pairs("authorization", "")},
		{"authorization under another key", AuthorizationIdentity, metadata.Pairs("x-api-key", "k")},
		{"one key of two absent", MetadataIdentity("authorization", "x-tenant"), metadata.Pairs("authorization", "a")},
		{"no keys", MetadataIdentity(), metadata.Pairs("authorization", "a")},
		{"no peer", PeerCertificateIdentity, metadata.Pairs("authorization", "a")},
		{"a part refuses", CombinedIdentity(AuthorizationIdentity, MetadataIdentity("x-tenant")), metadata.Pairs("authorization", "a")},
		{"nil part", CombinedIdentity(AuthorizationIdentity, nil), metadata.Pairs("authorization", "a")},
		{"no parts", CombinedIdentity(), metadata.Pairs("authorization", "a")},
	}
	for _, tc := range refused {
		if id, ok := tc.id(ctx, tc.md); ok {
			t.Errorf("%s: accepted with identity %q, want the call refused", tc.name, id)
		}
	}
	if id, ok := SharedByEveryone(ctx, nil); !ok || id != "" {
		t.Errorf("SharedByEveryone = %q, %v; want one identity for all", id, ok)
	}
}

// CombinedIdentity keeps its parts apart: moving bytes from one part to
// the next changes the identity.
func TestCombinedIdentityIsUnambiguous(t *testing.T) {
	ctx := context.Background()
	part := func(key string) IdentityFunc {
		return func(_ context.Context, md metadata.MD) (string, bool) { return strings.Join(md.Get(key), ""), true }
	}
	id := CombinedIdentity(part("a"), part("b"))
	x, _ := id(ctx, metadata.Pairs("a", "xy", "b", "z"))
	y, _ := id(ctx, metadata.Pairs("a", "x", "b", "yz"))
	z, _ := id(ctx, metadata.Pairs("a", "x", "b", "yz"))
	if x == y || y != z {
		t.Fatalf("identities %q, %q, %q: want the first to differ and the last two equal", x, y, z)
	}
}
