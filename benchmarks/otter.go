package benchmarks

import "github.com/maypok86/otter/v2"

const otterNotes = "`otter.New(&Options{MaximumSize, ExpiryCalculator: ExpiryWriting(TTL)})`; " +
	"Wait calls `CleanUp` so pending evictions are applied."

type otterCache[K comparable, V any] struct {
	c *otter.Cache[K, V]
}

func newOtter[K comparable, V any](cfg Config) Cache[K, V] {
	o := &otter.Options[K, V]{MaximumSize: cfg.Capacity}
	if cfg.TTL > 0 {
		o.ExpiryCalculator = otter.ExpiryWriting[K, V](cfg.TTL)
	}
	c, err := otter.New(o)
	if err != nil {
		panic(err)
	}
	return otterCache[K, V]{c}
}

func (otterCache[K, V]) Name() string        { return "otter" }
func (o otterCache[K, V]) Get(k K) (V, bool) { return o.c.GetIfPresent(k) }
func (o otterCache[K, V]) Set(k K, v V)      { o.c.Set(k, v) }
func (o otterCache[K, V]) Wait()             { o.c.CleanUp() }
func (o otterCache[K, V]) Close() {
	o.c.InvalidateAll()
	o.c.StopAllGoroutines()
}
