package redisstore

import (
	"context"
	"testing"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/codec"
	"github.com/stratacache/cache/multilevel"
)

// Benchmarks over loopback Redis. Each round trip dominates: compare the
// codecs by the difference they make on top of it.

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

var formats = []struct {
	name string
	f    codec.Format
}{{"msgpack", codec.FormatMsgpack}, {"json", codec.FormatJSON}}

func benchCache(b *testing.B, srv *redisServer, l1 *cache.Cache[int64, profile], f codec.Format) *multilevel.Cache[int64, profile] {
	b.Helper()
	c, err := multilevel.New(multilevel.Options[int64, profile]{
		L1Cache: l1, Store: srv.store(b, Options{}), Namespace: "bench-" + f.String(),
		Format: f, Load: loadProfile,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return c
}

// An L1 miss answered by Redis: GET, decode, L1 store.
func BenchmarkGetL2HitRedis(b *testing.B) {
	srv := startRedis(b)
	for _, f := range formats {
		b.Run(f.name, func(b *testing.B) {
			l1 := cache.Must(cache.New(cache.Options[int64, profile]{}))
			defer l1.Close()
			c := benchCache(b, srv, l1, f.f)
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
			if st := c.Stats(); st.L2.Hits < uint64(b.N) || st.L2.Errors > 0 {
				b.Fatalf("stats %+v after %d reads", st.L2, b.N)
			}
			raw, err := srv.client(b).Get(ctx, "bench-"+f.f.String()+":0").Bytes()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(raw)), "stored-B")
		})
	}
}

// A miss on both levels: GET (nil), load, encode, SET, L1 store.
func BenchmarkGetLoadRedis(b *testing.B) {
	srv := startRedis(b)
	for _, f := range formats {
		b.Run(f.name, func(b *testing.B) {
			c := benchCache(b, srv, nil, f.f)
			ctx := context.Background()
			b.ReportAllocs()
			var i int64
			for b.Loop() {
				if _, err := c.Get(ctx, i); err != nil {
					b.Fatal(err)
				}
				i++
			}
			if st := c.Stats(); st.L2.Errors > 0 {
				b.Fatalf("stats %+v", st.L2)
			}
		})
	}
}

// A write: encode, SET, L1 store, PUBLISH.
func BenchmarkSetRedis(b *testing.B) {
	srv := startRedis(b)
	for _, f := range formats {
		b.Run(f.name, func(b *testing.B) {
			c := benchCache(b, srv, nil, f.f)
			ctx := context.Background()
			p := sampleProfile(1)
			b.ReportAllocs()
			var i int64
			for b.Loop() {
				if err := c.Set(ctx, i&1023, p); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
