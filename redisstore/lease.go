package redisstore

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// TryLease stores lease under key for ttl if key does not exist (SET with
// NX and PX), and reports whether it did: the lease of the multilevel
// cache's Options.Lease, in place of a value. See multilevel.Leaser.
func (s *Store) TryLease(ctx context.Context, key string, lease []byte, ttl time.Duration) (bool, error) {
	ok, err := s.client.SetNX(ctx, key, lease, ttl).Result()
	return ok, s.failed(err)
}

// release deletes KEYS[1] if it holds ARGV[1]: compare and delete in one
// step, which Redis before 8.4 has no command for.
var release = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// Release deletes key if it still holds lease, in one step (a Lua script,
// by EVALSHA, or EVAL the first time a server meets it). See
// multilevel.Leaser.
func (s *Store) Release(ctx context.Context, key string, lease []byte) error {
	return s.failed(release.Run(ctx, s.client, []string{key}, lease).Err())
}
