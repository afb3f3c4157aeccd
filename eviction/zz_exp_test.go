package eviction

import (
	"math/bits"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stratacache/cache/internal/hashing"
	"github.com/stratacache/cache/internal/sketch"
)

func hitRatioSeed(a Algorithm, keys []uint64, capacity int64, shards int, seed uint64) float64 {
	shift := 64 - bits.TrailingZeros(uint(shards))
	sims := make([]*simulator, shards)
	var g *Group
	if (shards > 1 && os.Getenv("GROUP") != "") || os.Getenv("GROUP1") != "" {
		g = NewGroup()
	}
	for i := range sims {
		sims[i] = newSimulator(a, capacity/int64(shards))
		sims[i].policy = NewMember[uint64, void](a, capacity/int64(shards), g)
		if off := os.Getenv("OFF"); off != "" && shards == 1 {
			v, _ := strconv.Atoi(off)
			sims[i].policy.(*tinyLFU[uint64, void]).climber.period += v
		}
		if fx := os.Getenv("FIXED"); fx != "" {
			v, _ := strconv.ParseFloat(fx, 64)
			tp := sims[i].policy.(*tinyLFU[uint64, void])
			tp.group = nil
			tp.setWindowShare(v)
			tp.climber.period = int(^uint(0) >> 1)
		}
	}
	if os.Getenv("SHAREDSKETCH") != "" {
		sk := sketch.New(int(capacity))
		for _, sm := range sims {
			sm.policy.(*tinyLFU[uint64, void]).sketch = sk
		}
	}
	if os.Getenv("FULLSKETCH") != "" {
		for _, sm := range sims {
			sm.policy.(*tinyLFU[uint64, void]).sketch = sketch.New(int(capacity) / shards)
		}
	}
	hits := 0
	for _, k := range keys {
		h := hashing.Mix(k ^ seed)
		i := 0
		if shards > 1 {
			i = int(h >> shift)
		}
		if sims[i].get(k, h) {
			hits++
		}
	}
	return 100 * float64(hits) / float64(len(keys))
}

func TestZZExp(t *testing.T) {
	spec := os.Getenv("EXP")
	if spec == "" {
		t.Skip()
	}
	seeds, _ := strconv.Atoi(os.Getenv("SEEDS"))
	seeds = max(seeds, 1)
	for _, item := range strings.Split(spec, ";") {
		f := strings.Split(item, ",")
		keys := loadTrace(t, f[0])
		c, _ := strconv.Atoi(f[1])
		for _, ns := range f[2:] {
			n, _ := strconv.Atoi(ns)
			rs := make([]float64, seeds)
			var wg sync.WaitGroup
			sem := make(chan struct{}, 2)
			for s := range seeds {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer wg.Done()
					rs[s] = hitRatioSeed(TinyLFU, keys, int64(c), n, uint64(s)*0x9e3779b97f4a7c15+1)
					<-sem
				}()
			}
			wg.Wait()
			sum := 0.0
			var parts []string
			for _, r := range rs {
				sum += r
				parts = append(parts, strconv.FormatFloat(r, 'f', 2, 64))
			}
			t.Logf("%s@%d shards=%d: mean %.2f  [%s]", f[0], c, n, sum/float64(seeds), strings.Join(parts, " "))
		}
	}
}

func TestZZTraj(t *testing.T) {
	spec := os.Getenv("TRAJ")
	if spec == "" {
		t.Skip()
	}
	f := strings.Split(spec, ",")
	keys := loadTrace(t, f[0])
	c, _ := strconv.Atoi(f[1])
	for _, ss := range f[2:] {
		s, _ := strconv.Atoi(ss)
		seed := uint64(s)*0x9e3779b97f4a7c15 + 1
		sim := newSimulator(TinyLFU, int64(c))
		p := sim.policy.(*tinyLFU[uint64, void])
		hits, win := 0, 0
		var line []string
		for i, k := range keys {
			if sim.get(k, hashing.Mix(k^seed)) {
				hits++
				win++
			}
			if (i+1)%(len(keys)/40) == 0 {
				r := ""
				if p.climber.rotate {
					r = "r"
				}
				line = append(line, r+strconv.FormatFloat(p.windowShare*100, 'f', 1, 64)+"/"+strconv.Itoa(win*100/(len(keys)/40)))
				win = 0
			}
		}
		t.Logf("seed %d: %.2f: %s", s, 100*float64(hits)/float64(len(keys)), strings.Join(line, " "))
	}
}

func TestZZTrajSharded(t *testing.T) {
	spec := os.Getenv("TRAJS")
	if spec == "" {
		t.Skip()
	}
	f := strings.Split(spec, ",")
	keys := loadTrace(t, f[0])
	c, _ := strconv.Atoi(f[1])
	n, _ := strconv.Atoi(f[2])
	shift := 64 - bits.TrailingZeros(uint(n))
	for _, ss := range f[3:] {
		s, _ := strconv.Atoi(ss)
		seed := uint64(s)*0x9e3779b97f4a7c15 + 1
		sims := make([]*simulator, n)
		var g *Group
		if os.Getenv("GROUP") != "" {
			g = NewGroup()
		}
		for i := range sims {
			sims[i] = newSimulator(TinyLFU, int64(c/n))
			sims[i].policy = NewMember[uint64, void](TinyLFU, int64(c/n), g)
		}
		hits, win := 0, 0
		var line []string
		for i, k := range keys {
			h := hashing.Mix(k ^ seed)
			if sims[int(h>>shift)].get(k, h) {
				hits++
				win++
			}
			if (i+1)%(len(keys)/40) == 0 {
				sum, lo, hi := 0.0, 1.0, 0.0
				for _, sm := range sims {
					w := sm.policy.(*tinyLFU[uint64, void]).windowShare
					sum += w
					lo, hi = min(lo, w), max(hi, w)
				}
				r := ""
				if sims[0].policy.(*tinyLFU[uint64, void]).climber.rotate {
					r = "r"
				}
				line = append(line, r+strconv.FormatFloat(sum/float64(n)*100, 'f', 1, 64)+"("+strconv.FormatFloat(lo*100, 'f', 0, 64)+"-"+strconv.FormatFloat(hi*100, 'f', 0, 64)+")/"+strconv.Itoa(win*100/(len(keys)/40)))
				win = 0
			}
		}
		t.Logf("seed %d: %.2f: %s", s, 100*float64(hits)/float64(len(keys)), strings.Join(line, " "))
	}
}

func defShards(c int) int {
	n := 64
	for n > 1 && c/n < 4096 {
		n /= 2
	}
	return n
}

func TestZZSuite(t *testing.T) {
	spec := os.Getenv("SUITE")
	if spec == "" {
		t.Skip()
	}
	seeds, _ := strconv.Atoi(os.Getenv("SEEDS"))
	seeds = max(seeds, 1)
	type job struct {
		i, shards, seed int
	}
	items := strings.Split(spec, ";")
	type point struct {
		trace string
		c     int
		keys  []uint64
		res   [2][]float64
	}
	pts := make([]*point, len(items))
	var jobs []job
	for i, it := range items {
		f := strings.Split(it, "@")
		c, _ := strconv.Atoi(f[1])
		pts[i] = &point{trace: f[0], c: c, keys: loadTrace(t, f[0])}
		pts[i].res[0] = make([]float64, seeds)
		pts[i].res[1] = make([]float64, seeds)
		for s := range seeds {
			jobs = append(jobs, job{i, 1, s})
			if n := defShards(c); n > 1 {
				jobs = append(jobs, job{i, n, s})
			}
		}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			p := pts[j.i]
			r := hitRatioSeed(TinyLFU, p.keys, int64(p.c), j.shards, uint64(j.seed)*0x9e3779b97f4a7c15+1)
			k := 0
			if j.shards > 1 {
				k = 1
			}
			p.res[k][j.seed] = r
			<-sem
		}()
	}
	wg.Wait()
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / float64(len(xs))
	}
	tot := 0.0
	for _, p := range pts {
		one := mean(p.res[0])
		sh := one
		if defShards(p.c) > 1 {
			sh = mean(p.res[1])
		}
		tot += sh
		t.Logf("%-18s one %6.2f sharded(%2d) %6.2f diff %+5.2f  one%v", p.trace+"@"+strconv.Itoa(p.c), one, defShards(p.c), sh, sh-one, p.res[0])
	}
	t.Logf("mean sharded %.3f", tot/float64(len(pts)))
}
