package promtest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Exporter is a scrape target on 127.0.0.1 serving /metrics in the Prometheus text
// format, for live values. It is closed by t.Cleanup.
type Exporter struct {
	srv *httptest.Server

	mu      sync.Mutex
	body    string
	scrapes int
}

// NewExporter starts an exporter serving text (Prometheus text exposition format, e.g.
// "node_load1{node=\"n1\"} 1.5\n").
func NewExporter(t testing.TB, text string) *Exporter {
	t.Helper()
	e := &Exporter{body: text}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		e.mu.Lock()
		body := e.body
		e.scrapes++
		e.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(e.srv.Close)
	return e
}

// Set replaces what the exporter serves.
func (e *Exporter) Set(text string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.body = text
}

// Addr is the exporter's host:port, for Options.ScrapeTargets.
func (e *Exporter) Addr() string { return strings.TrimPrefix(e.srv.URL, "http://") }

// Scrapes is how many times /metrics was served.
func (e *Exporter) Scrapes() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.scrapes
}
