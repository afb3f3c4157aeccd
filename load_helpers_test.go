package cache

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// gatedLoader counts its calls and holds each one until open is closed,
// then answers with answer. Tests run inside synctest bubbles, where a
// goroutine blocked on the gate is durably blocked, so synctest.Wait tells
// when every caller has arrived.
type gatedLoader struct {
	calls  atomic.Int32
	open   chan struct{}
	answer func(ctx context.Context, key string) (int, error)
}

func newGatedLoader(answer func(ctx context.Context, key string) (int, error)) *gatedLoader {
	return &gatedLoader{open: make(chan struct{}), answer: answer}
}

func (g *gatedLoader) Load(ctx context.Context, key string) (int, error) {
	g.calls.Add(1)
	<-g.open
	return g.answer(ctx, key)
}

// keyLength answers with the length of the key.
func keyLength(_ context.Context, key string) (int, error) { return len(key), nil }

// gatedBulkLoader is gatedLoader for GetMany; it records the keys of each
// call.
type gatedBulkLoader struct {
	mu     sync.Mutex
	calls  [][]string
	open   chan struct{}
	answer func(keys []string) (map[string]int, error)
}

func newGatedBulkLoader(answer func(keys []string) (map[string]int, error)) *gatedBulkLoader {
	return &gatedBulkLoader{open: make(chan struct{}), answer: answer}
}

func (g *gatedBulkLoader) LoadMany(_ context.Context, keys []string) (map[string]int, error) {
	g.mu.Lock()
	g.calls = append(g.calls, append([]string(nil), keys...))
	g.mu.Unlock()
	<-g.open
	return g.answer(keys)
}

func (g *gatedBulkLoader) Calls() [][]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([][]string(nil), g.calls...)
}

// lengths answers every key with its length.
func lengths(keys []string) (map[string]int, error) {
	m := make(map[string]int, len(keys))
	for _, k := range keys {
		m[k] = len(k)
	}
	return m, nil
}

func newLoadTestCache(t testing.TB, opts Options[string, int]) *Cache[string, int] {
	t.Helper()
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// loadsInFlight counts the flights registered in all shards.
func loadsInFlight[K comparable, V any](c *Cache[K, V]) int {
	n := 0
	for _, s := range c.c.shards {
		n += s.Loading()
	}
	return n
}

// evictLog records OnEvict calls.
type evictLog struct {
	mu  sync.Mutex
	got []string
}

func (l *evictLog) record(key string, value int, r Reason) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, key+"="+strconv.Itoa(value)+" "+r.String())
}

func (l *evictLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := ""
	for i, g := range l.got {
		if i > 0 {
			s += ", "
		}
		s += g
	}
	return s
}
