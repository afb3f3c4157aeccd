package grpccache

import (
	"context"
	"crypto/sha256"
	"encoding/binary"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// deterministic encodes requests for keys: equal messages (maps included)
// encode to equal bytes within one build of the program.
var deterministic = proto.MarshalOptions{Deterministic: true}

// key returns the cache key of a call, and where the request's encoding
// starts in it:
//
//	uvarint(len(method)) method | sha256(uvarint(len(scope)) scope identity) | request
//
// scope separates callers further: the client interceptor passes the
// connection's target, so answers of different servers stay apart. The
// method is length-prefixed and the digest has a fixed size, so no two
// calls that differ in method, scope, identity or request share a key.
// ok is false when the call must not use the cache: the identity function
// said so, or the request does not encode.
func (ic *interceptor) key(ctx context.Context, method, scope string, md metadata.MD, req proto.Message) (key string, reqAt int, ok bool) {
	id, ok := ic.identity(ctx, md)
	if !ok {
		return "", 0, false
	}
	digest := identityDigest(scope, id)
	buf := make([]byte, 0, binary.MaxVarintLen64+len(method)+len(digest)+64)
	buf = binary.AppendUvarint(buf, uint64(len(method)))
	buf = append(buf, method...)
	buf = append(buf, digest[:]...)
	reqAt = len(buf)
	buf, err := deterministic.MarshalAppend(buf, req)
	if err != nil {
		return "", 0, false
	}
	return string(buf), reqAt, true
}

// identityDigest hashes scope and identity, so that the key has a fixed
// size and credentials never sit in the cache (or in a shared store).
func identityDigest(scope, id string) [sha256.Size]byte {
	buf := make([]byte, 0, binary.MaxVarintLen64+len(scope)+len(id))
	buf = binary.AppendUvarint(buf, uint64(len(scope)))
	buf = append(buf, scope...)
	buf = append(buf, id...)
	return sha256.Sum256(buf)
}
