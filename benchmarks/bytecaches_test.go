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
				c.Set(Key{B: key[:], S: string(key[:])}, value)
			}
			resident := 0
			for i := range uint64(n) {
				PutKey(&key, i)
				PutValue(value, i)
				if v, ok := c.Get(make([]byte, 0, ValueLen), Key{B: key[:], S: string(key[:])}); ok {
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
			keys := NewKeyText(ZipfKeys(2*n, 1<<14, 1.0, 3))
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

// TestKeyText: both forms of a key are the key PutKey writes for its
// index, and a string handed out stays that key.
func TestKeyText(t *testing.T) {
	ids := []uint64{7, 0x123, 7, 1 << 40}
	kt := NewKeyText(ids)
	first := kt.At(0).S
	for p := range uint64(2 * len(ids)) {
		var want [KeyLen]byte
		PutKey(&want, ids[p%uint64(len(ids))])
		k := kt.At(p)
		if !bytes.Equal(k.B, want[:]) || k.S != string(want[:]) {
			t.Fatalf("position %d: got %q and %q, want %q", p, k.B, k.S, want[:])
		}
	}
	if var7 := kt.At(2).S; first != var7 || first != "k000000000000007" {
		t.Fatalf("key at 0 is %q, at 2 %q; both should be k000000000000007", first, var7)
	}
}
