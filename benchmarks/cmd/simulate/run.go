package main

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result holds the hit ratios of every contender on one workload.
type result struct {
	W workload
	// Ratio[c][s] is the hit ratio in percent of contender c at size
	// W.Sizes[s], where c indexes the contenders the run was given.
	Ratio [][]float64
}

// job is one replay: one contender, one workload, one size.
type job struct {
	keys []uint64
	res  *result
	c, s int
}

// run replays every workload through every contender at each of the
// workload's sizes, with at most workers replays at a time, and returns the
// results in the order of ws. Each trace is loaded once, shortly before its
// first replay, and dropped after its last, so that at most two traces are
// in memory at a time. progress, if not nil, is told about each finished
// replay, by one goroutine at a time.
func run(ws []workload, cs []contender, workers int, progress func(string)) ([]result, error) {
	workers = max(1, min(workers, runtime.GOMAXPROCS(0)))
	results := make([]result, len(ws))
	total := 0
	for i, w := range ws {
		results[i] = result{W: w, Ratio: make([][]float64, len(cs))}
		for c := range cs {
			results[i].Ratio[c] = make([]float64, len(w.Sizes))
		}
		total += len(cs) * len(w.Sizes)
	}

	// The largest workloads go first, and in each the slowest replays, so
	// that the run does not end with one core busy and the other idle.
	order := make([]int, len(ws))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(ws[b].Requests*len(ws[b].Sizes), ws[a].Requests*len(ws[a].Sizes))
	})
	byCost := make([]int, len(cs))
	for i := range byCost {
		byCost[i] = i
	}
	slices.SortStableFunc(byCost, func(a, b int) int {
		return cmp.Compare(b2i(cs[b].Slow), b2i(cs[a].Slow))
	})

	jobs := make(chan job)
	var loadErr error
	go func() {
		defer close(jobs)
		for _, i := range order {
			keys, err := ws[i].Load()
			if err != nil {
				loadErr = fmt.Errorf("%s: %w", ws[i].Name, err)
				return
			}
			if len(keys) == 0 {
				loadErr = fmt.Errorf("%s: no requests", ws[i].Name)
				return
			}
			results[i].W.Requests = len(keys)
			for _, c := range byCost {
				for s := len(ws[i].Sizes) - 1; s >= 0; s-- {
					jobs <- job{keys: keys, res: &results[i], c: c, s: s}
				}
			}
		}
	}()

	var done atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var replayErr error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				size := j.res.W.Sizes[j.s]
				start := time.Now()
				hits, err := safeHits(cs[j.c], j.keys, size)
				if err != nil {
					mu.Lock()
					if replayErr == nil {
						replayErr = fmt.Errorf("%s, %s at %d entries: %w", j.res.W.Name, cs[j.c].Name, size, err)
					}
					mu.Unlock()
					continue
				}
				ratio := 100 * float64(hits) / float64(len(j.keys))
				j.res.Ratio[j.c][j.s] = ratio
				n := done.Add(1)
				if progress != nil {
					mu.Lock()
					progress(fmt.Sprintf("[%d/%d] %-12s %-28s %7d  %6.2f%%  %v",
						n, total, j.res.W.Name, cs[j.c].Name, size, ratio, time.Since(start).Round(time.Millisecond)))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if loadErr != nil {
		return nil, loadErr
	}
	if replayErr != nil {
		return nil, replayErr
	}
	return results, nil
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

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
