package main

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stratacache/cache/redisstore"
)

// openRedis returns a store on the Redis at addr, after checking that it
// answers.
func openRedis(addr string) (*store, error) {
	rdb := redis.NewClient(&redis.Options{
		Addr:                  addr,
		ContextTimeoutEnabled: true, // redisstore requires it
		DialTimeout:           time.Second,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, redisError(addr, err)
	}
	rs, err := redisstore.New(rdb, redisstore.Options{})
	if err != nil {
		_ = rdb.Close()
		return nil, redisError(addr, err)
	}
	return &store{Store: rs, name: "Redis at " + addr, close: func() { _ = rdb.Close() }}, nil
}
