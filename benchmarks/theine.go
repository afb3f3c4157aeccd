package benchmarks

import (
	"time"

	"github.com/Yiling-J/theine-go"
)

const theineNotes = "`theine.NewBuilder(capacity).Build()`, cost 1 per entry, `SetWithTTL` when a TTL is set; " +
	"Wait calls theine's `Wait` (policy updates are buffered)."

type theineCache[K comparable, V any] struct {
	c   *theine.Cache[K, V]
	ttl time.Duration
}

func newTheine[K comparable, V any](cfg Config) Cache[K, V] {
	c, err := theine.NewBuilder[K, V](int64(cfg.Capacity)).Build()
	if err != nil {
		panic(err)
	}
	return &theineCache[K, V]{c: c, ttl: cfg.TTL}
}

func (*theineCache[K, V]) Name() string        { return "theine" }
func (t *theineCache[K, V]) Get(k K) (V, bool) { return t.c.Get(k) }
func (t *theineCache[K, V]) Set(k K, v V)      { t.c.SetWithTTL(k, v, 1, t.ttl) }
func (t *theineCache[K, V]) Wait()             { t.c.Wait() }
func (t *theineCache[K, V]) Close()            { t.c.Close() }
