package multilevel_test

import (
	"context"
	"fmt"
	"time"

	"github.com/stratacache/cache/multilevel"
)

type User struct {
	ID   int
	Name string
}

// db stands for the database behind the cache.
var db = map[int]User{1: {1, "Ada"}, 2: {2, "Grace"}}

func loadUser(_ context.Context, id int) (User, error) {
	u, ok := db[id]
	if !ok {
		return User{}, multilevel.ErrNotFound
	}
	return u, nil
}

// One process: a local tier in front of a private in-memory store and the
// database.
func Example() {
	opts := multilevel.Options[int, User]{Load: loadUser}
	opts.L1.MaxEntries = 100_000
	opts.L1.TTL = time.Minute
	users, err := multilevel.New(opts)
	if err != nil {
		panic(err)
	}
	defer users.Close()

	ctx := context.Background()
	u, err := users.Get(ctx, 1) // L1 miss, store miss: loaded, written to both
	fmt.Println(u.Name, err)
	u, err = users.Get(ctx, 1) // L1 hit
	fmt.Println(u.Name, err)
	_, err = users.Get(ctx, 3)
	fmt.Println(err)

	st := users.Stats()
	fmt.Println("L1 hits:", st.L1.Hits, "loads:", st.Origin.Loads, "store writes:", st.L2.Writes)
	// Output:
	// Ada <nil>
	// Ada <nil>
	// cache: key not found
	// L1 hits: 1 loads: 2 store writes: 1
}

// Two caches in one process sharing a MemoryStore and a namespace: a write
// through one evicts the key from the other before it returns.
func ExampleNewMemoryStore() {
	store, err := multilevel.NewMemoryStore(multilevel.MemoryStoreOptions{MaxBytes: 256 << 20})
	if err != nil {
		panic(err)
	}
	defer store.Close()
	opts := multilevel.Options[int, User]{Store: store, Namespace: "users", Load: loadUser}
	a, _ := multilevel.New(opts)
	defer a.Close()
	b, _ := multilevel.New(opts)
	defer b.Close()

	ctx := context.Background()
	u, _ := b.Get(ctx, 2)
	fmt.Println("b reads", u.Name)
	_ = a.Set(ctx, 2, User{2, "Grace Hopper"})
	u, _ = b.Get(ctx, 2)
	fmt.Println("b reads", u.Name)
	// Output:
	// b reads Grace
	// b reads Grace Hopper
}
