package benchmarks

import (
	"bytes"
	"testing"
	"time"
)

// Every cache of the GC-free comparison stores and returns whole values,
// holds the entries it was sized for, and survives a short mixed load.
func TestByteImpls(t *testing.T) {
	const n = 20_000
	for _, im := range ByteImpls() {
		t.Run(im.Name, func(t *testing.T) {
			c := im.New(n)
			defer c.Close()
			var key [KeyLen]byte
			value := make([]byte, ValueLen)
			for i := range uint64(n) {
				PutKey(&key, i)
				PutValue(value, i)
				c.Set(key[:], value)
			}
			resident := 0
			for i := range uint64(n) {
				PutKey(&key, i)
				PutValue(value, i)
				if v, ok := c.Get(make([]byte, 0, ValueLen), key[:]); ok {
					resident++
					if !bytes.Equal(v, value) {
						t.Fatalf("key %d: got %x, want %x", i, v, value)
					}
				}
			}
			// Sized with 5% slack, a cache holds nearly all of its n.
			if resident < n*97/100 {
				t.Fatalf("%d of %d entries resident", resident, n)
			}
			keys := ZipfKeys(2*n, 1<<14, 1.0, 3)
			r, errs := RunByteMix(c, keys, GCFreeMix, 2, 20*time.Millisecond)
			if errs != 0 || r.Ops == 0 {
				t.Fatalf("mixed load: %d ops, %d torn values", r.Ops, errs)
			}
		})
	}
}

func TestPutKeyIsDistinct(t *testing.T) {
	var a, b [KeyLen]byte
	PutKey(&a, 0x123)
	PutKey(&b, 0x124)
	if a == b || string(a[:4]) != "k000" {
		t.Fatalf("keys %q and %q", a, b)
	}
}
