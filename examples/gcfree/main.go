// Command gcfree is the quick start of docs/gcfree.md for the GC-free tier, kept
// here so that it is compiled and vetted with the rest of the module.
package main

import (
	"context"
	"fmt"

	"github.com/stratacache/cache/bytecache"
	"github.com/stratacache/cache/multilevel"
)

type User struct {
	ID   string
	Name string
}

func main() {
	// Values live as bytes in slabs: millions of them cost the GC almost
	// nothing to scan. Slabs are allocated as they fill, up to MaxBytes.
	users, err := bytecache.New(bytecache.Options[string, User]{MaxBytes: 1 << 30})
	if err != nil {
		panic(err)
	}
	defer users.Close()
	users.Set("u1", User{ID: "u1", Name: "Ada"})
	if u, ok := users.Get("u1"); ok { // decoded: a copy of its own
		fmt.Println("hit:", u.Name)
	}

	// The hybrid: the hot set as Go values in the L1, the long tail as
	// bytes in the GC-free store behind it.
	store, err := multilevel.NewGCFreeStore(multilevel.GCFreeStoreOptions{MaxBytes: 1 << 30})
	if err != nil {
		panic(err)
	}
	defer store.Close()
	opts := multilevel.Options[string, User]{Store: store, Namespace: "users"}
	opts.L1.MaxEntries = 10_000
	hybrid, err := multilevel.New(opts)
	if err != nil {
		panic(err)
	}
	defer hybrid.Close()
	ctx := context.Background()
	if err := hybrid.Set(ctx, "u2", User{ID: "u2", Name: "Grace"}); err != nil {
		panic(err)
	}
	u, err := hybrid.Get(ctx, "u2")
	fmt.Println("hybrid:", u.Name, err)
}
