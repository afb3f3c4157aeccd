package benchmarks

import (
	"time"

	"github.com/dgraph-io/ristretto/v2"
)

const ristrettoNotes = "`NumCounters` = 10 × capacity and `MaxCost` = capacity as its docs advise, " +
	"`BufferItems` 64, `IgnoreInternalCost`, cost 1 per entry. Writes are asynchronous: the harness calls " +
	"`Wait` while prefilling and in correctness checks, never inside timed loops, so under load some writes " +
	"are dropped or rejected by admission, as in production use. It stores a 128-bit hash of the key, not the key."

// ristrettoKey is the key types both ristretto and the adapter accept.
type ristrettoKey interface {
	comparable
	ristretto.Key
}

type ristrettoCache[K ristrettoKey, V any] struct {
	c   *ristretto.Cache[K, V]
	ttl time.Duration
}

func newRistretto[K ristrettoKey, V any](cfg Config) Cache[K, V] {
	c, err := ristretto.NewCache(&ristretto.Config[K, V]{
		NumCounters:        int64(cfg.Capacity) * 10,
		MaxCost:            int64(cfg.Capacity),
		BufferItems:        64,
		IgnoreInternalCost: true,
	})
	if err != nil {
		panic(err)
	}
	return &ristrettoCache[K, V]{c: c, ttl: cfg.TTL}
}

func (*ristrettoCache[K, V]) Name() string        { return "ristretto" }
func (r *ristrettoCache[K, V]) Get(k K) (V, bool) { return r.c.Get(k) }
func (r *ristrettoCache[K, V]) Set(k K, v V)      { r.c.SetWithTTL(k, v, 1, r.ttl) }
func (r *ristrettoCache[K, V]) Wait()             { r.c.Wait() }
func (r *ristrettoCache[K, V]) Close()            { r.c.Close() }
