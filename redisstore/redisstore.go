// Package redisstore is a multilevel.Store and multilevel.Bus on Redis,
// through github.com/redis/go-redis/v9. It is a module of its own so that
// the cache module does not depend on go-redis.
//
// Values are plain Redis strings (GET, SET with PX, DEL) under the keys the
// multilevel cache gives, which carry its namespace. Invalidations travel
// over one pub/sub channel per namespace, ChannelPrefix + namespace, as
// small text payloads (see Publish). Each subscription holds one
// connection of its own, reconnects with backoff when it breaks, and
// pings the server when the channel has been silent for a while, so that a
// dead connection is noticed even without traffic.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379", ContextTimeoutEnabled: true})
//	store, err := redisstore.New(rdb, redisstore.Options{})
//	...
//	users, err := multilevel.New(multilevel.Options[string, User]{
//		Store: store, Namespace: "users", Load: loadUser,
//	})
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stratacache/cache/multilevel"
)

// Options configures a Store. The zero value gives the defaults listed.
type Options struct {
	// ChannelPrefix is prepended to a namespace to name its invalidation
	// channel. "" means DefaultChannelPrefix.
	ChannelPrefix string

	// PingAfter is how long a subscription may stay silent before it
	// pings the server; a ping unanswered for as long again counts as a
	// broken connection. 0 means 2s.
	PingAfter time.Duration

	// RetryMin and RetryMax bound the backoff between attempts to restore
	// a broken subscription; it doubles from RetryMin up to RetryMax.
	// 0 means 50ms and 2s.
	RetryMin, RetryMax time.Duration
}

// DefaultChannelPrefix is the channel prefix used when Options has none.
const DefaultChannelPrefix = "strata:invalidate:"

// Store is a multilevel.Store and multilevel.Bus on a Redis client. It is
// safe for concurrent use. It owns no connection of its own beyond those
// of its subscriptions: closing the client is up to its owner, after the
// caches using the Store are closed.
type Store struct {
	client  redis.UniversalClient
	cluster *redis.ClusterClient // client, if it is one
	opts    Options
	noPTTL  atomic.Bool // the ACL refused PTTL: GetTTL reads values alone
}

var (
	_ multilevel.Store  = (*Store)(nil)
	_ multilevel.Bus    = (*Store)(nil)
	_ multilevel.Leaser = (*Store)(nil)

	_ multilevel.TTLGetter = (*Store)(nil)
)

// New returns a Store on client, or an error naming the offending field of
// opts. It fails if client is a *redis.Client, *redis.ClusterClient or
// *redis.Ring whose options leave ContextTimeoutEnabled off: go-redis
// would then ignore the deadline the multilevel cache gives every call and
// wait for its own socket timeouts (seconds, by default) instead.
func New(client redis.UniversalClient, opts Options) (*Store, error) {
	if client == nil {
		return nil, fmt.Errorf("redisstore: the client is nil: %w", multilevel.ErrInvalidOptions)
	}
	if !contextTimeouts(client) {
		return nil, fmt.Errorf("redisstore: the client's ContextTimeoutEnabled option is false; "+
			"without it go-redis ignores call deadlines (set it in the client's options): %w", multilevel.ErrInvalidOptions)
	}
	switch {
	case opts.PingAfter < 0:
		return nil, optionError("PingAfter", opts.PingAfter)
	case opts.RetryMin < 0:
		return nil, optionError("RetryMin", opts.RetryMin)
	case opts.RetryMax < 0:
		return nil, optionError("RetryMax", opts.RetryMax)
	}
	if opts.ChannelPrefix == "" {
		opts.ChannelPrefix = DefaultChannelPrefix
	}
	if opts.PingAfter == 0 {
		opts.PingAfter = 2 * time.Second
	}
	if opts.RetryMin == 0 {
		opts.RetryMin = 50 * time.Millisecond
	}
	if opts.RetryMax == 0 {
		opts.RetryMax = 2 * time.Second
	}
	opts.RetryMax = max(opts.RetryMax, opts.RetryMin)
	cluster, _ := client.(*redis.ClusterClient)
	return &Store{client: client, cluster: cluster, opts: opts}, nil
}

func optionError(field string, d time.Duration) error {
	return fmt.Errorf("redisstore: Options.%s is %v; it must be 0 (default) or positive: %w",
		field, d, multilevel.ErrInvalidOptions)
}

// contextTimeouts reports whether client honours context deadlines, as
// far as its type lets us see.
func contextTimeouts(client redis.UniversalClient) bool {
	switch c := client.(type) {
	case *redis.Client:
		return c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		return c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		return c.Options().ContextTimeoutEnabled
	}
	return true
}

// Get returns the value of key (GET), or multilevel.ErrMiss.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := s.client.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, multilevel.ErrMiss
	}
	return b, s.failed(err)
}

// getTTL reads a value and the milliseconds it has left in one step, so
// both are of the same write.
var getTTL = redis.NewScript(`local v = redis.call("GET", KEYS[1])
if not v then return false end
return {v, redis.call("PTTL", KEYS[1])}`)

// GetTTL returns the value of key and the time it has left (GET and PTTL
// in one script, so both are of the same write; one round trip, as Get),
// 0 if it does not expire, or multilevel.ErrMiss. A user whose ACL lacks
// +pttl gets the value alone, as from Get, with 0: the Store then stops
// asking, and instances keep values read from Redis for their L1.TTL.
func (s *Store) GetTTL(ctx context.Context, key string) ([]byte, time.Duration, error) {
	if s.noPTTL.Load() {
		b, err := s.Get(ctx, key)
		return b, 0, err
	}
	res, err := getTTL.Run(ctx, s.client, []string{key}).Slice()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, 0, multilevel.ErrMiss
	case err != nil && refused(err):
		s.noPTTL.Store(true)
		b, err := s.Get(ctx, key)
		return b, 0, err
	case err != nil:
		return nil, 0, s.failed(err)
	}
	v, ok1 := res[0].(string)
	ms, ok2 := res[1].(int64)
	if len(res) != 2 || !ok1 || !ok2 {
		return nil, 0, fmt.Errorf("redisstore: GetTTL(%q): unexpected reply %v", key, res)
	}
	left := time.Duration(ms) * time.Millisecond
	switch {
	case ms < 0: // -1: no expiry
		left = 0
	case ms == 0:
		// PTTL counts whole milliseconds: the value has less than one
		// left, which 0 would misreport as no expiry.
		left = time.Millisecond
	}
	return []byte(v), left, nil
}

// refused reports whether err is Redis refusing a command to the user
// (NOPERM, or its wording for a command a script runs).
func refused(err error) bool {
	var re redis.Error
	if !errors.As(err, &re) {
		return false
	}
	msg := re.Error()
	return strings.HasPrefix(msg, "NOPERM") || strings.Contains(msg, "can't run this command")
}

// Set stores value under key (SET, with PX when ttl is not 0).
func (s *Store) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return s.failed(s.client.Set(ctx, key, value, ttl).Err())
}

// Delete removes key (DEL).
func (s *Store) Delete(ctx context.Context, key string) error {
	return s.failed(s.client.Del(ctx, key).Err())
}

// failed returns err. On a Redis Cluster it first asks the client to
// reload the cluster's layout, unless err is an answer that says nothing
// of the layout (a reply of Redis's own other than CLUSTERDOWN) or the
// caller's cancellation: a master that stopped answering may have been
// replaced by its replica, and go-redis would otherwise keep sending its
// slots' commands to the dead address until its next periodic reload (a
// minute, by default). go-redis runs one reload at a time, at most five a
// second, so a failing node costs a few CLUSTER SLOTS calls per second.
func (s *Store) failed(err error) error {
	if err == nil || s.cluster == nil || errors.Is(err, context.Canceled) {
		return err
	}
	var reply redis.Error
	if errors.As(err, &reply) && !strings.HasPrefix(reply.Error(), "CLUSTERDOWN") {
		return err
	}
	s.cluster.ReloadState(context.Background())
	return err
}
