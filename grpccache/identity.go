package grpccache

import (
	"context"
	"encoding/binary"
	"strings"

	"google.golang.org/grpc/metadata"
)

// IdentityFunc returns the identity of the caller of a call: answers are
// shared only between calls whose identities are equal. md is the call's
// metadata: the incoming metadata on the server, the outgoing metadata on
// the client (which does not include what grpc.PerRPCCredentials add
// later). ok false means the call must not use the cache at all: it goes
// straight to the handler or the server.
//
// It runs on every call to a cacheable method, so it should be cheap. Its
// result is hashed into the key, never stored as it is.
type IdentityFunc func(ctx context.Context, md metadata.MD) (id string, ok bool)

// DefaultIdentity is the identity used when Options.Identity is nil: every
// value of the "authorization" metadata, in order. Two calls share answers
// only if they carry exactly the same authorization values; calls without
// any share answers with each other. It is MetadataIdentity("authorization").
func DefaultIdentity(ctx context.Context, md metadata.MD) (string, bool) {
	return authorizationIdentity(ctx, md)
}

var authorizationIdentity = MetadataIdentity("authorization")

// MetadataIdentity returns an IdentityFunc made of every value of each of
// the given metadata keys (case does not matter), in order: two calls have
// the same identity only if they carry the same values under every key.
// Use it to add, say, a tenant header to the authorization:
// MetadataIdentity("authorization", "x-tenant").
//
// The encoding is unambiguous: values are length-prefixed and counted per
// key, so ["ab"] and ["a", "b"] differ. It costs about one allocation.
func MetadataIdentity(keys ...string) IdentityFunc {
	ks := make([]string, len(keys))
	for i, k := range keys {
		ks[i] = strings.ToLower(k)
	}
	return func(_ context.Context, md metadata.MD) (string, bool) {
		var buf []byte
		for _, k := range ks {
			vs := md[k]
			buf = binary.AppendUvarint(buf, uint64(len(vs)))
			for _, v := range vs {
				buf = binary.AppendUvarint(buf, uint64(len(v)))
				buf = append(buf, v...)
			}
		}
		return string(buf), true
	}
}
