package cache_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stratacache/cache"
)

func ExampleCache_GetOrLoad() {
	var queries atomic.Int32
	users := cache.Must(cache.New(cache.Options[int, string]{
		MaxEntries: 10_000,
		TTL:        5 * time.Minute,
		// The default loader; GetOrLoad(ctx, key, nil) uses it.
		Load: func(ctx context.Context, id int) (string, error) {
			queries.Add(1) // a database query in real code
			return fmt.Sprintf("user-%d", id), nil
		},
	}))
	defer users.Close()

	// A hundred requests miss on the same key at once: one query.
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() { users.GetOrLoad(context.Background(), 42, nil) })
	}
	wg.Wait()

	name, err := users.GetOrLoad(context.Background(), 42, nil)
	fmt.Println(name, err)
	fmt.Println("queries:", queries.Load())
	// Output:
	// user-42 <nil>
	// queries: 1
}

func Example_refreshAhead() {
	clock := &manualClock{now: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	var price atomic.Int64
	price.Store(100)
	refreshed := make(chan struct{}, 1)
	reload := make(chan struct{})
	prices := cache.Must(cache.New(cache.Options[string, int64]{
		TTL:          time.Hour,
		RefreshAfter: 10 * time.Minute,
		Clock:        clock,
		Load: func(ctx context.Context, sku string) (int64, error) {
			p := price.Load()
			if p != 100 {
				<-reload // the refresh waits until "served" is printed
			}
			return p, nil
		},
		OnEvict: func(sku string, old int64, r cache.Reason) {
			if r == cache.ReasonReplaced {
				fmt.Println("replaced", sku, old)
				refreshed <- struct{}{}
			}
		},
	}))
	defer prices.Close()

	p, _ := prices.GetOrLoad(context.Background(), "apple", nil)
	fmt.Println("loaded", p)

	price.Store(120)
	clock.Advance(15 * time.Minute)
	// Older than RefreshAfter: the current value comes back at once and a
	// reload starts in the background.
	p, _ = prices.GetOrLoad(context.Background(), "apple", nil)
	fmt.Println("served", p)
	close(reload)

	<-refreshed
	p, _ = prices.Get("apple")
	fmt.Println("now", p)
	fmt.Println("refreshes:", prices.Stats().RefreshesSucceeded)
	// Output:
	// loaded 100
	// served 100
	// replaced apple 100
	// now 120
	// refreshes: 1
}

func Example_negativeCaching() {
	var queries atomic.Int32
	accounts := cache.Must(cache.New(cache.Options[string, int]{
		NegativeTTL: time.Minute,
		Load: func(ctx context.Context, name string) (int, error) {
			queries.Add(1)
			if name == "alice" {
				return 1, nil
			}
			return 0, fmt.Errorf("account %q: %w", name, cache.ErrNotFound)
		},
	}))
	defer accounts.Close()

	_, err := accounts.GetOrLoad(context.Background(), "mallory", nil)
	fmt.Println(err)
	// For the next minute the answer comes from the cache.
	_, err = accounts.GetOrLoad(context.Background(), "mallory", nil)
	fmt.Println(errors.Is(err, cache.ErrNotFound))
	_, ok := accounts.Get("mallory")
	fmt.Println("Get finds a value:", ok)

	st := accounts.Stats()
	fmt.Println("queries:", queries.Load(), "negative hits:", st.NegativeHits)
	// Output:
	// account "mallory": cache: key not found
	// true
	// Get finds a value: false
	// queries: 1 negative hits: 2
}

func ExampleCache_GetMany() {
	stock := cache.Must(cache.New(cache.Options[string, int]{
		NegativeTTL: time.Minute,
		LoadMany: func(ctx context.Context, skus []string) (map[string]int, error) {
			fmt.Println("query", len(skus), "skus") // one round trip
			inventory := map[string]int{"apple": 3, "pear": 0}
			found := make(map[string]int)
			for _, s := range skus {
				if n, ok := inventory[s]; ok {
					found[s] = n
				}
			}
			return found, nil // a sku left out does not exist
		},
	}))
	defer stock.Close()
	stock.Set("plum", 9)

	got, err := stock.GetMany(context.Background(), []string{"apple", "pear", "plum", "kiwi"}, nil)
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Println(k, got[k])
	}
	fmt.Println(err)
	// Output:
	// query 3 skus
	// apple 3
	// pear 0
	// plum 9
	// <nil>
}
