package multilevel

import (
	"context"
	"strconv"
	"testing"

	"github.com/stratacache/cache"
)

// profile is a typical cached record: a few short strings, numbers and a
// small slice, about 150 bytes encoded.
type profile struct {
	ID      int64
	Name    string
	Email   string
	Country string
	Score   float64
	Tags    []string
	Active  bool
}

func sampleProfile(id int64) profile {
	return profile{ID: id, Name: "Ada Lovelace", Email: "ada@example.com", Country: "GB",
		Score: 97.5, Tags: []string{"admin", "beta", "math"}, Active: true}
}

func loadProfile(_ context.Context, id int64) (profile, error) { return sampleProfile(id), nil }

// An L1 hit: what most reads cost.
func BenchmarkGetL1Hit(b *testing.B) {
	c := mustNew(b, Options[int64, profile]{Load: loadProfile})
	ctx := context.Background()
	for i := range int64(1024) {
		if _, err := c.Get(ctx, i); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var i int64
		for pb.Next() {
			if _, err := c.Get(ctx, i&1023); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// An L1 miss answered by the embedded store: read, decode, store in L1.
func BenchmarkGetL2HitMemory(b *testing.B) {
	l1 := cache.Must(cache.New(cache.Options[int64, profile]{}))
	defer l1.Close()
	c := mustNew(b, Options[int64, profile]{L1Cache: l1, Load: loadProfile})
	ctx := context.Background()
	for i := range int64(1024) {
		if _, err := c.Get(ctx, i); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	var i int64
	for b.Loop() {
		k := i & 1023
		l1.Delete(k)
		if _, err := c.Get(ctx, k); err != nil {
			b.Fatal(err)
		}
		i++
	}
	if st := c.Stats(); st.L2.Hits < uint64(b.N) {
		b.Fatalf("%d L2 hits for %d reads", st.L2.Hits, b.N)
	}
}

// A miss on both levels: store read, load, encode, store write, L1 write.
func BenchmarkGetLoadMemory(b *testing.B) {
	c := mustNew(b, Options[int64, profile]{Load: loadProfile})
	ctx := context.Background()
	b.ReportAllocs()
	var i int64
	for b.Loop() {
		if _, err := c.Get(ctx, i); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// A write through both levels (no other instance: nothing published).
func BenchmarkSetMemory(b *testing.B) {
	c := mustNew(b, Options[string, profile]{})
	ctx := context.Background()
	p := sampleProfile(1)
	b.ReportAllocs()
	var i int
	for b.Loop() {
		if err := c.Set(ctx, strconv.Itoa(i&1023), p); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
