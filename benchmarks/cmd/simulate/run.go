package main

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"
)

// result holds the hit ratios of every contender on one workload.
type result struct {
	W workload
	// Ratio[c][s] is the hit ratio in percent of contender c at size
	// W.Sizes[s], where c indexes the contenders the run was given: the
	// mean over the contender's replays at that point.
	Ratio [][]float64
	// Spread[c][s] is the highest minus the lowest hit ratio of those
	// replays (0 after a single one), and Runs[c][s] how many there were.
	Spread [][]float64
	Runs   [][]int
	// samples[c][s] holds the hit ratio of each replay until they are
	// averaged.
	samples [][][]float64
}

// job is one replay: one contender, one workload, one size, one of the
// contender's runs at that point.
type job struct {
	res       *result
	keys      []uint64
	c, s, run int
	slow      bool
	cost      int // rough relative cost, for ordering
}

// seeding says how many times each seeded contender (one whose hit ratio
// depends on a seed it draws at random when made) is replayed at a point,
// each time with a new cache and so a new seed. One replay of such a
// cache is one draw from a distribution; the report gives the mean.
type seeding struct {
	// Min is the replays at every point; 1 or less means a single one,
	// whatever the other fields say.
	Min int
	// Requests asks for more replays on short traces, where one draw is
	// noisiest: as many as it takes to replay about this many requests,
	// but at most Max. SlowRequests is the same for slow contenders.
	Requests, SlowRequests, Max int
}

// runs returns the replays of a seeded contender on a workload of the
// given length. A slow one gets only the extra replays of short traces,
// counted against SlowRequests, where they are cheap: Min of them on the
// long traces would be the run's long pole.
func (sd seeding) runs(requests int, slow bool) int {
	if sd.Min <= 1 {
		return 1
	}
	n, budget := sd.Min, sd.Requests
	if slow {
		n, budget = 1, sd.SlowRequests
	}
	if budget > 0 && requests > 0 {
		n = max(n, min(sd.Max, (budget+requests-1)/requests))
	}
	return n
}

// run replays every workload through every contender at each of the
// workload's sizes (a seeded contender as many times as sd says, each
// with a fresh cache), with at most workers replays at a time, and returns
// the results in the order of ws. progress, if not nil, is told about each
// finished replay, by one goroutine at a time.
//
// All workloads are loaded first (about 175 MB of keys for the full set).
// Replays of slow contenders (those that hand every write to another
// goroutine and wait for it) run one at a time, beside the others: two at
// once spend most of their time waking each other's goroutines on a
// two-core machine and finish no sooner than one after the other.
func run(ws []workload, cs []contender, sd seeding, workers int, progress func(string)) ([]result, error) {
	workers = max(1, min(workers, runtime.GOMAXPROCS(0)))
	results := make([]result, len(ws))
	var jobs []job
	for i, w := range ws {
		keys, err := w.Load()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", w.Name, err)
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("%s: no requests", w.Name)
		}
		r := &results[i]
		*r = result{W: w, Ratio: make([][]float64, len(cs)), Spread: make([][]float64, len(cs)),
			Runs: make([][]int, len(cs)), samples: make([][][]float64, len(cs))}
		r.W.Requests = len(keys)
		for c := range cs {
			runs := 1
			if cs[c].Seeded {
				runs = sd.runs(len(keys), cs[c].Slow)
			}
			r.Ratio[c] = make([]float64, len(w.Sizes))
			r.Spread[c] = make([]float64, len(w.Sizes))
			r.Runs[c] = make([]int, len(w.Sizes))
			r.samples[c] = make([][]float64, len(w.Sizes))
			for s, size := range w.Sizes {
				if cs[c].Supports != nil && !cs[c].Supports(size) {
					continue // no samples: reported as "–"
				}
				r.Runs[c][s] = runs
				r.samples[c][s] = make([]float64, runs)
				for k := range runs {
					// Small caches miss more, and misses cost most.
					jobs = append(jobs, job{res: r, keys: keys, c: c, s: s, run: k, slow: cs[c].Slow,
						cost: len(keys) * (len(w.Sizes) - s)})
				}
			}
		}
	}
	// Longest first, so that the run does not end on one long replay.
	slices.SortStableFunc(jobs, func(a, b job) int { return cmp.Compare(b.cost, a.cost) })

	var (
		mu        sync.Mutex
		cond      = sync.NewCond(&mu)
		slowBusy  bool
		done      int
		replayErr error
	)
	// next takes the next job to run: the first slow one if no slow
	// replay is running (they are the long pole), else the first other
	// one. It waits while only slow jobs are left and one of them is
	// running.
	next := func() (job, bool) {
		mu.Lock()
		defer mu.Unlock()
		for {
			if len(jobs) == 0 {
				return job{}, false
			}
			i := -1
			if !slowBusy {
				i = slices.IndexFunc(jobs, func(j job) bool { return j.slow })
			}
			if i < 0 {
				i = slices.IndexFunc(jobs, func(j job) bool { return !j.slow })
			}
			if i >= 0 {
				j := jobs[i]
				jobs = slices.Delete(jobs, i, i+1)
				slowBusy = slowBusy || j.slow
				return j, true
			}
			cond.Wait()
		}
	}
	total := len(jobs)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				j, ok := next()
				if !ok {
					return
				}
				size := j.res.W.Sizes[j.s]
				start := time.Now()
				hits, err := safeHits(cs[j.c], j.keys, size)
				ratio := 100 * float64(hits) / float64(len(j.keys))
				j.res.samples[j.c][j.s][j.run] = ratio

				mu.Lock()
				if j.slow {
					slowBusy = false
					cond.Broadcast()
				}
				done++
				if err != nil && replayErr == nil {
					replayErr = fmt.Errorf("%s, %s at %d entries: %w", j.res.W.Name, cs[j.c].Name, size, err)
				}
				if err == nil && progress != nil {
					progress(fmt.Sprintf("[%d/%d] %-12s %-28s %7d  %6.2f%%  %v",
						done, total, j.res.W.Name, cs[j.c].Name, size, ratio, time.Since(start).Round(time.Millisecond)))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if replayErr != nil {
		return nil, replayErr
	}
	for i := range results {
		results[i].summarise()
	}
	return results, nil
}

// summarise turns the replays' samples into Ratio and Spread.
func (r *result) summarise() {
	for c := range r.samples {
		for s, xs := range r.samples[c] {
			if len(xs) == 0 {
				r.Ratio[c][s] = math.NaN()
				continue
			}
			sum := 0.0
			for _, x := range xs {
				sum += x
			}
			r.Ratio[c][s] = sum / float64(len(xs))
			r.Spread[c][s] = slices.Max(xs) - slices.Min(xs)
		}
	}
	r.samples = nil
}

// safeHits runs one replay, turning a panic of the cache under test (such
// as a constructor refusing a size) into an error.
func safeHits(c contender, keys []uint64, size int) (hits int, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return c.hits(keys, size), nil
}
