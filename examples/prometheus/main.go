// Command prometheus serves a cache's statistics for Prometheus to scrape:
// the Prometheus example of docs/metrics.md.
//
//	go run ./examples/prometheus &
//	curl -s 'localhost:9101/user?id=7'; curl -s localhost:9101/metrics | grep strata_
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stratacache/cache"
	"github.com/stratacache/cache/metrics"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9101", "where to serve /user and /metrics")
	flag.Parse()

	users, err := cache.New(cache.Options[int, string]{
		MaxEntries: 10_000,
		TTL:        5 * time.Minute,
		Load: func(ctx context.Context, id int) (string, error) {
			return "user " + strconv.Itoa(id), nil // your database here
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer users.Close()

	// One registry of your own (no global one), one call per cache.
	reg := prometheus.NewRegistry()
	metrics.MustRegister(reg, "users", users)

	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/user", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.URL.Query().Get("id"))
		if err != nil {
			http.Error(w, "id must be a number", http.StatusBadRequest)
			return
		}
		name, err := users.GetOrLoad(r.Context(), id, nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.Write([]byte(name + "\n"))
	})
	log.Printf("serving http://%s/metrics", *addr)
	log.Fatal(http.ListenAndServe(*addr, mux))
}
