package hashing

import (
	"math/bits"
	"testing"
)

// Flipping one input bit should flip about half the output bits.
func TestMixAvalanches(t *testing.T) {
	total, n := 0, 0
	for x := uint64(1); x < 1<<12; x++ {
		for b := range 64 {
			total += bits.OnesCount64(Mix(x) ^ Mix(x^1<<b))
			n++
		}
	}
	if avg := float64(total) / float64(n); avg < 30 || avg > 34 {
		t.Fatalf("one flipped input bit flips %.2f output bits on average, want about 32", avg)
	}
}

func TestEqualKeysHashEqualAndSeedsDiffer(t *testing.T) {
	a, b := New[string](), New[string]()
	s1, s2 := "hello, world", string([]byte("hello, world"))
	if a.Hash(s1) != a.Hash(s2) {
		t.Fatal("equal strings hash differently")
	}
	if a.Hash(s1) == b.Hash(s1) {
		t.Fatal("two hashers share a seed")
	}
	type pair struct{ A, B int }
	p := New[pair]()
	k1, k2 := pair{1, 2}, pair{1, 2}
	if p.Hash(k1) != p.Hash(k2) || p.Hash(k1) == p.Hash(pair{2, 1}) {
		t.Fatal("struct keys hash inconsistently")
	}
	i8 := New[int8]()
	if i8.Hash(-1) == i8.Hash(1) {
		t.Fatal("int8 -1 and 1 collide")
	}
	arr := New[[4]byte]()
	if arr.Hash([4]byte{1, 2, 3, 4}) == arr.Hash([4]byte{4, 3, 2, 1}) {
		t.Fatal("byte arrays collide")
	}
}

func BenchmarkHash(b *testing.B) {
	s, i, st := New[string](), New[uint64](), New[struct{ A, B uint32 }]()
	b.Run("string16", func(b *testing.B) {
		for b.Loop() {
			s.Hash("user:1234567890ab")
		}
	})
	b.Run("uint64", func(b *testing.B) {
		for b.Loop() {
			i.Hash(12345)
		}
	})
	b.Run("struct", func(b *testing.B) {
		for b.Loop() {
			st.Hash(struct{ A, B uint32 }{1, 2})
		}
	})
}
