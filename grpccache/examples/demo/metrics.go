package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsServer serves the demo's Prometheus registry on loopback.
type metricsServer struct {
	reg  *prometheus.Registry
	url  string // of /metrics; "" when not served
	srv  *http.Server
	done chan struct{} // closed when Serve returns
}

// startMetrics makes the registry (with the backend's call counter) and
// serves it on cfg.metrics. If that is the default address and it is
// taken, it serves on a free loopback port instead.
func startMetrics(cfg config, db *backend) (*metricsServer, error) {
	m := &metricsServer{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "demo_backend_calls_total",
		Help: "Calls that reached the demo's slow backend.",
	}, func() float64 { return float64(db.calls.Load()) }))
	if cfg.metrics == "" {
		return m, nil
	}
	lis, err := net.Listen("tcp", cfg.metrics)
	if err != nil && !cfg.metricsSet {
		lis, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		return nil, fmt.Errorf("-metrics %s: %w", cfg.metrics, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	m.url = "http://" + lis.Addr().String() + "/metrics"
	m.done = make(chan struct{})
	go func() {
		defer close(m.done)
		_ = m.srv.Serve(lis)
	}()
	return m, nil
}

// stop shuts the server down and waits for it.
func (m *metricsServer) stop() {
	if m.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = m.srv.Shutdown(ctx)
	<-m.done
}

// scrape fetches /metrics once, as Prometheus would, or returns "" when it
// is not served.
func (m *metricsServer) scrape() (string, error) {
	if m.url == "" {
		return "", nil
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(m.url)
	if err != nil {
		return "", fmt.Errorf("scraping %s: %w", m.url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = errors.New(resp.Status)
	}
	if err != nil {
		return "", fmt.Errorf("scraping %s: %w", m.url, err)
	}
	return string(body), nil
}

// shownSeries are the series showScrape prints, in this order.
var shownSeries = []string{
	"strata_cache_hits_total",
	"strata_cache_misses_total",
	"strata_cache_level_hits_total",
	"strata_cache_level_misses_total",
	"strata_cache_level_loads_total",
	"strata_cache_entries",
	"demo_backend_calls_total",
}

// showScrape prints the samples of shownSeries from a scrape.
func showScrape(out io.Writer, url, page string) {
	if page == "" {
		return
	}
	lines := strings.Split(strings.TrimSpace(page), "\n")
	var shown []string
	for _, name := range shownSeries {
		for _, l := range lines {
			if strings.HasPrefix(l, name+"{") || strings.HasPrefix(l, name+" ") {
				shown = append(shown, l)
			}
		}
	}
	fmt.Fprintf(out, "\none scrape of %s at the end (%d of its %d lines):\n", url, len(shown), len(lines))
	for _, l := range shown {
		fmt.Fprintln(out, "  "+l)
	}
}
