package grpccache

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/stratacache/cache/internal/isnil"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Options configures an interceptor. Cache, Methods and Identity are
// required. The constructors read the struct (copying Methods) and never
// write to it.
type Options struct {
	// Cache keeps the answers. It may be shared by several interceptors
	// and with other code, as long as nobody else uses the keys the
	// interceptors make. Size it by bytes: cache.Options.MaxWeight with a
	// Weigher returning len(key)+len(value).
	Cache Cache

	// Methods lists the cacheable methods by full name, as gRPC spells it
	// ("/package.Service/Method"), each with its Rule. Calls to other
	// methods pass straight through. Only list methods whose answer
	// depends on nothing but the request message and the caller's
	// identity: no side effects, no reading the clock or other metadata.
	Methods map[string]Rule

	// Identity tells callers apart: an answer is only served to callers
	// for whom Identity returns the same string. It has no default, so
	// that no answer is shared between callers unless you chose how:
	// AuthorizationIdentity, MetadataIdentity(keys...),
	// PeerCertificateIdentity, a CombinedIdentity of them, your own
	// function, or SharedByEveryone for answers that are the same for
	// every caller. See the package documentation.
	Identity IdentityFunc
}

// Rule says how one method's answers are cached. Its zero value caches
// responses for the cache's default lifetime and does not cache errors.
type Rule struct {
	// TTL is how long a response lives in the cache. 0 means the cache's
	// default lifetime (cache.Options.TTL, jittered by its TTLJitter),
	// cache.NoTTL means until evicted; negative values are invalid.
	TTL time.Duration

	// NotFoundTTL turns on negative caching for the method: an error
	// with gRPC code NotFound is cached for NotFoundTTL and replayed
	// as the same status (code, message and details). 0 means NotFound
	// errors are not cached, like every other error.
	NotFoundTTL time.Duration

	// New returns an empty message of the method's response type, into
	// which the server interceptor decodes cached answers. nil means the
	// type is looked up by method name in the protobuf registry, where
	// generated code registers it; UnaryServerInterceptor fails if it is
	// not there. The client interceptor does not use it: it decodes into
	// the reply the caller passes.
	New func() proto.Message
}

// method is a Rule ready for use.
type method struct {
	name        string
	ttl         time.Duration
	notFoundTTL time.Duration
	newResponse func() proto.Message // nil in a client interceptor
}

// interceptor holds what both the server and the client interceptors use.
type interceptor struct {
	cache    Cache
	methods  map[string]*method
	identity IdentityFunc
}

func optionError(field, format string, args ...any) error {
	return fmt.Errorf("grpccache: Options.%s %s: %w", field, fmt.Sprintf(format, args...), ErrInvalidOptions)
}

// compile validates o and builds an interceptor from it. A server
// interceptor needs every method's response type.
func (o *Options) compile(server bool) (*interceptor, error) {
	if o.Cache == nil {
		return nil, optionError("Cache", "is nil; the interceptor needs a cache to keep answers in")
	}
	if isnil.IsNil(o.Cache) { // a nil *cache.Cache, say: every call would panic
		return nil, optionError("Cache", "is a nil %T; the interceptor needs a cache to keep answers in", o.Cache)
	}
	if len(o.Methods) == 0 {
		return nil, optionError("Methods", "is empty; list the methods whose answers may be cached")
	}
	if o.Identity == nil {
		return nil, optionError("Identity", "is nil; choose how callers are told apart: AuthorizationIdentity, "+
			"MetadataIdentity(keys...), PeerCertificateIdentity, CombinedIdentity(...), your own IdentityFunc, "+
			"or SharedByEveryone if every caller may be served every other caller's answers")
	}
	ic := &interceptor{cache: o.Cache, methods: make(map[string]*method, len(o.Methods)), identity: o.Identity}
	// Sorted, so that the error for several bad rules is always the same.
	for _, name := range slices.Sorted(maps.Keys(o.Methods)) {
		m, err := compileRule(name, o.Methods[name], server)
		if err != nil {
			return nil, err
		}
		ic.methods[name] = m
	}
	return ic, nil
}

func compileRule(name string, r Rule, server bool) (*method, error) {
	field := fmt.Sprintf("Methods[%q]", name)
	service, meth, ok := strings.Cut(strings.TrimPrefix(name, "/"), "/")
	switch {
	case !strings.HasPrefix(name, "/") || !ok || service == "" || meth == "" || strings.Contains(meth, "/"):
		return nil, optionError(field, "is not a full method name; write it as gRPC does: \"/package.Service/Method\"")
	case r.TTL < 0:
		return nil, optionError(field+".TTL", "is %v; it must be 0 (the cache's default), positive, or cache.NoTTL", r.TTL)
	case r.NotFoundTTL < 0:
		return nil, optionError(field+".NotFoundTTL", "is %v; it must be 0 (NotFound not cached) or positive", r.NotFoundTTL)
	}
	m := &method{name: name, ttl: r.TTL, notFoundTTL: r.NotFoundTTL}
	if !server {
		return m, nil
	}
	m.newResponse = r.New
	if m.newResponse == nil {
		var err error
		if m.newResponse, err = registeredResponse(service + "." + meth); err != nil {
			return nil, optionError(field+".New", "is nil and %v; set New to return an empty response message", err)
		}
	}
	if m.newResponse() == nil {
		return nil, optionError(field+".New", "returned nil; it must return an empty response message")
	}
	return m, nil
}

// registeredResponse finds the response type of a method in the global
// protobuf registry, from its name as "package.Service.Method".
func registeredResponse(name string) (func() proto.Message, error) {
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		return nil, fmt.Errorf("method %s is not in the protobuf registry", name)
	}
	md, ok := d.(protoreflect.MethodDescriptor)
	if !ok {
		return nil, fmt.Errorf("%s is not a method in the protobuf registry", name)
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
	if err != nil {
		return nil, fmt.Errorf("response type %s of %s is not in the protobuf registry", md.Output().FullName(), name)
	}
	return func() proto.Message { return mt.New().Interface() }, nil
}
