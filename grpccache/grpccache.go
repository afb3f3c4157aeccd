// Package grpccache serves the responses of cacheable unary gRPC methods
// from a Strata cache, on the server (UnaryServerInterceptor) or on the
// client (UnaryClientInterceptor).
//
// You list the methods whose answers may be reused, each with a lifetime.
// A call to a listed method is answered from the cache when an answer for
// the same method, the same request and the same caller identity is
// there; otherwise the handler (or, on the client, the server) is called,
// once however many identical calls arrive together, and its response is
// stored as protobuf bytes. Methods that are not listed pass straight
// through.
//
// # Caller identity: there is no default
//
// A cached answer is served only to callers with the same identity as the
// caller it was computed for, and Options.Identity, which computes it, is
// required: the constructors refuse options without one. Choose by how
// your service tells callers apart:
//
//   - AuthorizationIdentity: the "authorization" metadata (bearer tokens);
//   - MetadataIdentity(keys...): chosen metadata keys (an API-key header,
//     a cookie, a tenant header), all of them required;
//   - PeerCertificateIdentity: the client's verified TLS certificate
//     (mutual TLS), by its SPIFFE ID or else its subject and issuer;
//   - CombinedIdentity(...): several of these at once;
//   - SharedByEveryone: one answer for every caller, for public data only.
//
// The ready-made identities refuse calls that lack what they look at (a
// call without authorization metadata, say): such calls are not cached at
// all, so callers the identity cannot tell apart never share an answer.
// On the client the identity sees the outgoing metadata only: credentials
// that grpc.WithPerRPCCredentials or a client certificate add to the
// connection are invisible to it.
//
// The key is the full method name, the identity (as its SHA-256 digest, so
// credentials are never stored) and the deterministic protobuf encoding of
// the request. Anything else a handler reads (other metadata, the peer, the
// deadline, the time) does not distinguish answers unless Identity adds it.
//
// See docs/grpc.md for a complete example and the rules in full.
package grpccache

import (
	"context"
	"time"

	"github.com/stratacache/cache"
)

// Cache is where the interceptors keep encoded answers. A Strata
// *cache.Cache[string, []byte] implements it; Multilevel adapts a
// byte-valued multilevel cache to it.
type Cache interface {
	// GetOrLoad returns the bytes stored under key or, on a miss, calls
	// loader (once however many callers miss on key at the same time),
	// stores its result and returns it to them all. The interceptors'
	// loader is a cache.TTLLoader: its result is stored for the lifetime
	// it gives (0: the cache's default). A loader error reaches every
	// waiting caller and nothing is stored. Each caller stops waiting when
	// its own ctx ends.
	GetOrLoad(ctx context.Context, key string, loader cache.Loader[string, []byte]) ([]byte, error)

	// SetWithTTL stores value under key for ttl: 0 means the cache's
	// default lifetime, cache.NoTTL none.
	SetWithTTL(key string, value []byte, ttl time.Duration)
}

var _ Cache = (*cache.Cache[string, []byte])(nil)

// ErrInvalidOptions is wrapped by every error the interceptor constructors
// return for bad options. It is the cache package's sentinel, so
// errors.Is matches either.
var ErrInvalidOptions = cache.ErrInvalidOptions
