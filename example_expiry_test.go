package cache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/stratacache/cache"
)

// token is an access token that says when it stops being valid.
type token struct {
	value   string
	expires time.Time
}

// Each token lives in the cache until its own expiry time
// (Options.ExpireAfterWrite), and a loader that learns a lifetime only by
// loading returns it with the value (cache.TTLLoaderFunc).
func Example_lifetimeFromData() {
	clock := &manualClock{now: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	tokens := cache.Must(cache.New(cache.Options[string, token]{
		TTL:   time.Hour,
		Clock: clock,
		ExpireAfterWrite: func(_ string, t token) time.Duration {
			return t.expires.Sub(clock.Now())
		},
	}))
	defer tokens.Close()

	tokens.Set("alice", token{"a1", clock.Now().Add(5 * time.Minute)})
	tokens.Set("bob", token{"b1", clock.Now().Add(30 * time.Minute)})

	// An HTTP response cached for its max-age, decided by the loader.
	fetch := cache.TTLLoaderFunc[string, token](func(ctx context.Context, user string) (token, time.Duration, error) {
		return token{value: "c1"}, 10 * time.Minute, nil // max-age=600
	})
	carol, _ := tokens.GetOrLoad(context.Background(), "carol", fetch)
	fmt.Println("carol:", carol.value)

	clock.Advance(6 * time.Minute)
	for _, user := range []string{"alice", "bob", "carol"} {
		_, left, ok := tokens.GetWithTTL(user)
		fmt.Printf("%s: cached %v, %v left\n", user, ok, left)
	}
	// Output:
	// carol: c1
	// alice: cached false, 0s left
	// bob: cached true, 24m0s left
	// carol: cached true, 4m0s left
}

// A session stays while it is used, for a lifetime its kind decides: each
// hit gives it that lifetime again (Options.ExpireAfterRead).
func Example_lifetimeOnRead() {
	clock := &manualClock{now: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	sessions := cache.Must(cache.New(cache.Options[string, string]{
		TTL:   time.Minute,
		Clock: clock,
		ExpireAfterRead: func(_ string, kind string, remaining time.Duration) time.Duration {
			if kind == "admin" {
				return 2 * time.Minute
			}
			return 10 * time.Minute
		},
	}))
	defer sessions.Close()
	sessions.Set("s1", "admin")
	sessions.Set("s2", "user")
	sessions.Get("s1")
	sessions.Get("s2")
	clock.Advance(5 * time.Minute)
	_, ok1 := sessions.Get("s1")
	_, ok2 := sessions.Get("s2")
	fmt.Println("admin session:", ok1, "user session:", ok2)
	// Output:
	// admin session: false user session: true
}
