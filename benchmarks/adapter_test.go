package benchmarks

import (
	"bytes"
	"testing"
	"time"
)

func TestAdaptersSetGet(t *testing.T) {
	for _, im := range Impls() {
		t.Run(im.Name, func(t *testing.T) {
			c := im.U64(Config{Capacity: 1024})
			defer c.Close()
			if c.Name() != im.Name {
				t.Errorf("Name() = %q, want %q", c.Name(), im.Name)
			}
			for k := range uint64(100) {
				c.Set(k, k*10)
			}
			Wait(c)
			for k := range uint64(100) {
				if v, ok := c.Get(k); !ok || v != k*10 {
					t.Fatalf("Get(%d) = %d, %v; want %d, true", k, v, ok, k*10)
				}
			}
			c.Set(7, 1)
			Wait(c)
			if v, ok := c.Get(7); !ok || v != 1 {
				t.Errorf("after overwrite Get(7) = %d, %v; want 1, true", v, ok)
			}
			if _, ok := c.Get(1 << 40); ok {
				t.Errorf("Get of a key never set hit")
			}

			s := im.Str(Config{Capacity: 1024})
			defer s.Close()
			s.Set(StrKey(3), StrValue(3))
			Wait(s)
			if v, ok := s.Get(StrKey(3)); !ok || !bytes.Equal(v, StrValue(3)) {
				t.Errorf("string Get = %q, %v; want %q, true", v, ok, StrValue(3))
			}
		})
	}
}

func TestAdaptersTTL(t *testing.T) {
	for _, im := range Impls() {
		if !im.TTL {
			continue
		}
		t.Run(im.Name, func(t *testing.T) {
			c := im.U64(Config{Capacity: 1024, TTL: time.Hour})
			defer c.Close()
			c.Set(1, 2)
			Wait(c)
			if v, ok := c.Get(1); !ok || v != 2 {
				t.Errorf("Get(1) with a 1h TTL = %d, %v; want 2, true", v, ok)
			}
		})
	}
}

func TestAdaptersCapacity(t *testing.T) {
	const capacity, written = 1000, 10000
	for _, im := range Impls() {
		t.Run(im.Name, func(t *testing.T) {
			c := im.U64(Config{Capacity: capacity})
			defer c.Close()
			FillRange(c, 0, written)
			resident := 0
			for k := range uint64(written) {
				if _, ok := c.Get(k); ok {
					resident++
				}
			}
			// "Roughly": sampled and sharded policies may keep a little
			// more or less than the bound.
			if resident > capacity*11/10 || resident < capacity/2 {
				t.Errorf("%d of %d keys resident with capacity %d", resident, written, capacity)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	got, err := Select("otter, strata")
	if err != nil || len(got) != 2 || got[0].Name != "strata" || got[1].Name != "otter" {
		t.Errorf("Select = %v, %v", got, err)
	}
	if _, err := Select("nope"); err == nil {
		t.Errorf("Select of an unknown name succeeded")
	}
}

func TestHistogram(t *testing.T) {
	h := NewHistogram()
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	check := func(name string, got, want time.Duration) {
		if d := got - want; d < -want/100 || d > want/100 {
			t.Errorf("%s = %v, want about %v", name, got, want)
		}
	}
	check("P50", h.Quantile(0.5), 500*time.Microsecond)
	check("P99", h.Quantile(0.99), 990*time.Microsecond)
	check("Max", h.Max(), 1000*time.Microsecond)
	for _, v := range []uint64{0, 1, 1023, 1024, 1025, 1 << 20, 1<<40 + 12345} {
		if lo := histValue(histIndex(v)); lo > v || v-lo > v/256 {
			t.Errorf("bucket of %d starts at %d", v, lo)
		}
	}
}

func TestRunMix(t *testing.T) {
	keys := ZipfKeys(1<<12, 1<<14, 1.0, 1)
	im, _ := Lookup("mutex-map")
	c := im.U64(Config{Capacity: 1 << 10})
	defer c.Close()
	FillRange(c, 0, 1<<10)
	r := RunMix(c, keys, Mix{"90/10", 10}, 2, 20*time.Millisecond)
	if r.Ops == 0 || r.Reads == 0 || r.Reads == r.Ops {
		t.Fatalf("RunMix = %+v", r)
	}
	if w := 1 - float64(r.Reads)/float64(r.Ops); w < 0.08 || w > 0.12 {
		t.Errorf("write fraction %.3f, want about 0.10", w)
	}
	l := RunLatency(c, keys, Mix{"75/25", 25}, 2, 20*time.Millisecond)
	if l.Samples == 0 || l.P50 > l.P99 || l.P99 > l.P999 {
		t.Errorf("RunLatency = %+v", l)
	}
}
