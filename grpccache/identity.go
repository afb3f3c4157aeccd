package grpccache

import (
	"context"
	"crypto/x509"
	"encoding/binary"
	"strings"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// IdentityFunc returns the identity of the caller of a call: answers are
// shared only between calls whose identities are equal. md is the call's
// metadata: the incoming metadata on the server, the outgoing metadata on
// the client (which does not include what grpc.WithPerRPCCredentials adds
// later). ok false means the call must not use the cache at all: it goes
// straight to the handler or the server.
//
// Options.Identity has no default: pick one of AuthorizationIdentity,
// MetadataIdentity, PeerCertificateIdentity, CombinedIdentity of them,
// SharedByEveryone, or write your own. It runs on every call to a
// cacheable method, so it should be cheap. Its result is hashed into the
// key, never stored as it is.
type IdentityFunc func(ctx context.Context, md metadata.MD) (id string, ok bool)

// AuthorizationIdentity tells callers apart by every value of their
// "authorization" metadata, in order: two calls share answers only if they
// carry exactly the same values. A call without a non-empty authorization
// value is not cached, since such callers may well be told apart by
// something this identity cannot see (a cookie, a certificate). It is
// MetadataIdentity("authorization").
func AuthorizationIdentity(ctx context.Context, md metadata.MD) (string, bool) {
	return authorizationIdentity(ctx, md)
}

var authorizationIdentity = MetadataIdentity("authorization")

// MetadataIdentity returns an IdentityFunc made of every value of each of
// the given metadata keys (case does not matter), in order: two calls have
// the same identity only if they carry the same values under every key.
// A call that lacks a non-empty value for any one of the keys is not
// cached, so MetadataIdentity("authorization", "x-tenant") caches only
// calls that carry both. With no keys at all it caches no call.
//
// The encoding is unambiguous: values are length-prefixed and counted per
// key, so ["ab"] and ["a", "b"] differ. It costs about one allocation.
func MetadataIdentity(keys ...string) IdentityFunc {
	ks := make([]string, len(keys))
	for i, k := range keys {
		ks[i] = strings.ToLower(k)
	}
	return func(_ context.Context, md metadata.MD) (string, bool) {
		if len(ks) == 0 {
			return "", false
		}
		var buf []byte
		for _, k := range ks {
			vs := md[k]
			if !hasNonEmpty(vs) {
				return "", false
			}
			buf = binary.AppendUvarint(buf, uint64(len(vs)))
			for _, v := range vs {
				buf = binary.AppendUvarint(buf, uint64(len(v)))
				buf = append(buf, v...)
			}
		}
		return string(buf), true
	}
}

func hasNonEmpty(vs []string) bool {
	for _, v := range vs {
		if v != "" {
			return true
		}
	}
	return false
}

// PeerCertificateIdentity tells callers apart by the client certificate
// they presented in a TLS handshake that the server verified (mutual TLS:
// the server's tls.Config.ClientAuth is VerifyClientCertIfGiven or
// RequireAndVerifyClientCert, with ClientCAs set). The identity is the
// certificate's SPIFFE ID when it has one (a single "spiffe://" URI SAN),
// otherwise its subject together with its issuer, since two CAs the
// server trusts may issue the same subject name.
//
// A call is not cached when there is no verified certificate: no TLS, no
// client certificate, one the server did not verify (RequireAnyClientCert
// accepts any, so its subject could be anyone's), or a certificate with a
// "spiffe://" URI among several URIs, which is not a valid SPIFFE ID.
// Require verified certificates in the server's tls.Config to turn such
// clients away before they reach a handler at all.
//
// It is for the server interceptor: on the client the call has no peer
// yet, so no call is cached.
func PeerCertificateIdentity(ctx context.Context, _ metadata.MD) (string, bool) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return "", false
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.VerifiedChains) == 0 || len(info.State.VerifiedChains[0]) == 0 {
		return "", false
	}
	return certificateIdentity(info.State.VerifiedChains[0][0])
}

// certificateIdentity is a tag byte, then the SPIFFE ID ('s') or the DER
// subject and issuer, the subject length-prefixed ('n').
func certificateIdentity(leaf *x509.Certificate) (string, bool) {
	for _, u := range leaf.URIs {
		if strings.EqualFold(u.Scheme, "spiffe") {
			if len(leaf.URIs) != 1 {
				return "", false
			}
			return "s" + u.String(), true
		}
	}
	buf := make([]byte, 0, 1+binary.MaxVarintLen64+len(leaf.RawSubject)+len(leaf.RawIssuer))
	buf = append(buf, 'n')
	buf = binary.AppendUvarint(buf, uint64(len(leaf.RawSubject)))
	buf = append(buf, leaf.RawSubject...)
	buf = append(buf, leaf.RawIssuer...)
	return string(buf), true
}

// CombinedIdentity returns an IdentityFunc made of all of ids: two calls
// have the same identity only if every one of ids gives them equal
// identities, and a call is cached only if every one of ids accepts it.
// Use it to add, say, a tenant header to the client certificate:
// CombinedIdentity(PeerCertificateIdentity, MetadataIdentity("x-tenant")).
// With no ids, or a nil one, it caches no call.
func CombinedIdentity(ids ...IdentityFunc) IdentityFunc {
	ids = append([]IdentityFunc(nil), ids...)
	return func(ctx context.Context, md metadata.MD) (string, bool) {
		if len(ids) == 0 {
			return "", false
		}
		var buf []byte
		for _, id := range ids {
			if id == nil {
				return "", false
			}
			s, ok := id(ctx, md)
			if !ok {
				return "", false
			}
			buf = binary.AppendUvarint(buf, uint64(len(s)))
			buf = append(buf, s...)
		}
		return string(buf), true
	}
}

// SharedByEveryone gives every call the same identity: an answer computed
// for one caller is served to every other caller. Choose it only for
// methods whose answers really are the same for everyone (public data),
// and never when the handler looks at who is calling.
func SharedByEveryone(context.Context, metadata.MD) (string, bool) {
	return "", true
}
