package grpccache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stratacache/cache"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// A cached answer is one tag byte, then the bytes of a protobuf message:
// the response, or the google.rpc.Status of a NotFound error. A store
// shared by instances of different versions may hold bytes of another
// layout; those fail to decode and are overwritten.
const (
	tagResponse byte = 1
	tagNotFound byte = 2
)

// errBypass says the cache could not answer a call (it failed, it is
// closed, or it held bytes that do not decode): the caller calls through
// and stores the answer itself.
var errBypass = errors.New("grpccache: cache bypassed")

// handlerError carries an error of the handler (or of the server, on the
// client) through the cache to every caller waiting for it, telling it
// apart from errors of the cache itself.
type handlerError struct{ err error }

func (e *handlerError) Error() string { return e.err.Error() }

// fetch puts the answer to the call with this key into out and returns
// nil, or returns the call's error (a NotFound status if one is cached).
// On a miss it runs call once, however many callers miss on key together,
// on a goroutine of the cache with the first caller's context values but
// not its cancellation. It returns errBypass when the cache cannot answer,
// and a status error when ctx ends first. A panic in call is raised again
// in every caller waiting for it, as a *cache.PanicError. The answer is
// stored for its rule's lifetime, which the loader gives the cache (a
// cache.TTLLoader), so every level of a multilevel cache keeps it.
func (ic *interceptor) fetch(ctx context.Context, m *method, key string, out proto.Message, call func(ctx context.Context) (any, error)) error {
	data, err := ic.cache.GetOrLoad(ctx, key, cache.TTLLoaderFunc[string, []byte](func(ctx context.Context, key string) ([]byte, time.Duration, error) {
		resp, err := call(ctx)
		data, life, err := m.encode(resp, err)
		if err != nil {
			return nil, 0, &handlerError{err}
		}
		return data, life, nil
	}))
	if err != nil {
		return failure(ctx, m, err)
	}
	return decode(data, out)
}

// store caches the answer of a call that bypassed the cache, if it is one
// the method's rule caches.
func (ic *interceptor) store(m *method, key string, resp any, err error) {
	if data, life, err := m.encode(resp, err); err == nil {
		ic.cache.SetWithTTL(key, data, life)
	}
}

// encode turns the answer to a call into the bytes to cache and their
// lifetime (0: the cache's default), or returns the error every caller
// gets instead, which is not cached.
func (m *method) encode(resp any, err error) ([]byte, time.Duration, error) {
	if err != nil {
		if m.notFoundTTL == 0 || status.Code(err) != codes.NotFound {
			return nil, 0, err
		}
		st, _ := status.FromError(err)
		data, merr := proto.MarshalOptions{}.MarshalAppend([]byte{tagNotFound}, st.Proto())
		if merr != nil {
			return nil, 0, err // not cacheable; the error itself is fine
		}
		return data, m.notFoundTTL, nil
	}
	msg, ok := resp.(proto.Message)
	if !ok {
		return nil, 0, status.Errorf(codes.Internal, "grpccache: response of %s is a %T, not a protobuf message", m.name, resp)
	}
	data, err := proto.MarshalOptions{}.MarshalAppend([]byte{tagResponse}, msg)
	if err != nil {
		return nil, 0, status.Errorf(codes.Internal, "grpccache: encoding the response of %s: %v", m.name, err)
	}
	return data, m.ttl, nil
}

// decode puts a cached answer into out, or returns the cached NotFound
// status, or errBypass if data is not an answer this version understands.
func decode(data []byte, out proto.Message) error {
	if len(data) == 0 {
		return errBypass
	}
	switch data[0] {
	case tagResponse:
		if proto.Unmarshal(data[1:], out) == nil {
			return nil
		}
	case tagNotFound:
		var st spb.Status
		if proto.Unmarshal(data[1:], &st) == nil && codes.Code(st.GetCode()) == codes.NotFound {
			return status.ErrorProto(&st)
		}
	}
	return errBypass
}

// failure turns an error of GetOrLoad into what the caller returns.
func failure(ctx context.Context, m *method, err error) error {
	var (
		pe *cache.PanicError
		he *handlerError
	)
	switch {
	case errors.As(err, &pe):
		panic(pe) // as the handler did; a recovery interceptor outside sees it
	case errors.As(err, &he):
		return he.err
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return status.FromContextError(ctx.Err()).Err()
	case errors.Is(err, cache.ErrLoaderExited):
		return status.Error(codes.Internal, fmt.Sprintf("grpccache: the handler of %s called runtime.Goexit", m.name))
	}
	return errBypass
}
