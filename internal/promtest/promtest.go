// Package promtest runs a real Prometheus for tests: /usr/bin/prometheus (or
// $PROMETHEUS_BIN) on a free 127.0.0.1 port, with a temporary configuration and data
// directory, history backfilled with promtool (or $PROMTOOL_BIN) before it starts, and
// optional scrape targets (see Exporter) for live values. A counting reverse proxy in
// front of it (Server.URL) counts the requests per path and records their Authorization
// headers. Everything started is stopped by t.Cleanup.
//
// Without the binaries the test is skipped, unless NODEGUARDIAN_REQUIRE_PROMETHEUS=1,
// when it fails.
//
//	now := time.Now().Truncate(time.Minute).Add(-10 * time.Minute)
//	srv := promtest.Start(t, promtest.Options{Samples: []promtest.Sample{
//		{Metric: "node_load1", Labels: map[string]string{"node": "n1"}, Value: 1.5, T: now},
//	}})
//	// query srv.URL at now; srv.QueryCount("/api/v1/query_range")
package promtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nodeguardian/nodeguardian/internal/proctest"
)

// Environment variables read by this package.
const (
	EnvBinary   = "PROMETHEUS_BIN"                  // the prometheus binary
	EnvPromtool = "PROMTOOL_BIN"                    // the promtool binary
	EnvRequire  = "NODEGUARDIAN_REQUIRE_PROMETHEUS" // "1": missing binaries fail the test
)

// Default binaries (Debian's prometheus package).
const (
	DefaultBinary   = "/usr/bin/prometheus"
	DefaultPromtool = "/usr/bin/promtool"
)

// Options configure one Prometheus.
type Options struct {
	// Samples are backfilled with promtool before Prometheus starts. Use timestamps in
	// the past (e.g. now truncated to the minute minus 10m) and query at those times.
	Samples []Sample
	// ScrapeTargets are host:port addresses scraped at ScrapeInterval (job "test").
	ScrapeTargets []string
	// ScrapeInterval defaults to 1s.
	ScrapeInterval time.Duration
	// LookbackDelta sets --query.lookback-delta when positive (Prometheus' default: 5m).
	LookbackDelta time.Duration
	// Authorization, when set, makes the proxy answer 401 to requests whose
	// Authorization header is not exactly this value.
	Authorization string
	// StartTimeout bounds the wait for /-/ready; default 60s.
	StartTimeout time.Duration
}

// Server is a running Prometheus behind a counting proxy.
type Server struct {
	// URL is the counting proxy in front of Prometheus: point clients here.
	URL string
	// PrometheusURL is Prometheus itself.
	PrometheusURL string

	proc  *proctest.Process
	proxy *httptest.Server

	mu     sync.Mutex
	counts map[string]int
	auths  []string
}

// Binaries returns the prometheus and promtool paths, skipping the test when either is
// missing (failing it when NODEGUARDIAN_REQUIRE_PROMETHEUS=1).
func Binaries(t testing.TB) (prometheus, promtool string) {
	t.Helper()
	prometheus = envOr(EnvBinary, DefaultBinary)
	promtool = envOr(EnvPromtool, DefaultPromtool)
	for _, b := range []string{prometheus, promtool} {
		if _, err := exec.LookPath(b); err != nil {
			msg := fmt.Sprintf("promtest: %s not found (%v): install Prometheus "+
				"(apt-get install --no-install-recommends prometheus) or set $%s and $%s", b, err, EnvBinary, EnvPromtool)
			if os.Getenv(EnvRequire) == "1" {
				t.Fatalf("%s; %s=1 requires it", msg, EnvRequire)
				return "", ""
			}
			t.Skip(msg)
			return "", ""
		}
	}
	return prometheus, promtool
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Start backfills opts.Samples, starts Prometheus and its proxy, and waits until
// Prometheus is ready. Both are stopped when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	prom, promtool := Binaries(t)
	if opts.ScrapeInterval <= 0 {
		opts.ScrapeInterval = time.Second
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 60 * time.Second
	}
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	if err := os.Mkdir(dataDir, 0o755); err != nil {
		t.Fatalf("promtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := Backfill(ctx, promtool, dataDir, opts.Samples); err != nil {
		t.Fatalf("promtest: %v", err)
	}
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, []byte(configYAML(opts)), 0o644); err != nil {
		t.Fatalf("promtest: %v", err)
	}
	s := &Server{counts: map[string]int{}}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = s.start(prom, cfgFile, dataDir, opts); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("promtest: %v", err)
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("promtest: prometheus output:\n%s", tail(s.proc.Output(), 4000))
		}
	})
	s.startProxy(t, opts.Authorization)
	return s
}

// configYAML is the Prometheus configuration of opts.
func configYAML(opts Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  evaluation_interval: 1m\n", opts.ScrapeInterval)
	if len(opts.ScrapeTargets) > 0 {
		fmt.Fprintf(&b, "scrape_configs:\n  - job_name: test\n    scrape_interval: %s\n    static_configs:\n      - targets:\n", opts.ScrapeInterval)
		for _, tg := range opts.ScrapeTargets {
			fmt.Fprintf(&b, "          - %q\n", tg)
		}
	}
	return b.String()
}

// start runs Prometheus on a free port and waits until it is ready; on failure the
// process is stopped.
func (s *Server) start(bin, cfgFile, dataDir string, opts Options) error {
	addr, err := proctest.FreeAddr()
	if err != nil {
		return err
	}
	args := []string{
		"--config.file=" + cfgFile,
		"--storage.tsdb.path=" + dataDir,
		"--web.listen-address=" + addr,
		"--log.level=warn",
	}
	if opts.LookbackDelta > 0 {
		args = append(args, "--query.lookback-delta="+opts.LookbackDelta.String())
	}
	s.proc, err = proctest.Start(exec.Command(bin, args...))
	if err != nil {
		return err
	}
	s.PrometheusURL = "http://" + addr
	if err := s.proc.WaitReady(s.PrometheusURL+"/-/ready", opts.StartTimeout); err != nil {
		s.proc.Stop()
		return fmt.Errorf("%s on %s: %w\n%s", bin, addr, err, tail(s.proc.Output(), 2000))
	}
	return nil
}

// Stop stops Prometheus (SIGTERM, then SIGKILL after 10s) and waits for it. The proxy
// stays up and answers 502, like a load balancer in front of a dead Prometheus. Stop
// may be called more than once.
func (s *Server) Stop() { s.proc.Stop() }

// startProxy puts the counting proxy in front of Prometheus; it is closed by t.Cleanup.
func (s *Server) startProxy(t testing.TB, authorization string) {
	target, err := url.Parse(s.PrometheusURL)
	if err != nil {
		t.Fatalf("promtest: %v", err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ErrorLog = nil
	rp.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, err error) {
		http.Error(w, "promtest proxy: prometheus unreachable", http.StatusBadGateway)
	}
	s.proxy = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("Authorization")
		s.mu.Lock()
		s.counts[r.URL.Path]++
		s.auths = append(s.auths, got)
		s.mu.Unlock()
		if authorization != "" && got != authorization {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		r.Header.Del("Authorization")
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(s.proxy.Close)
	s.URL = s.proxy.URL
}

// QueryCount is how many requests for path (e.g. "/api/v1/query_range") reached the
// proxy.
func (s *Server) QueryCount(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[path]
}

// ResetCounts sets every count to zero and forgets the recorded headers.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
	s.auths = nil
}

// Authorizations are the Authorization headers of the requests the proxy received, in
// order ("" for none).
func (s *Server) Authorizations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auths...)
}

// Output is what Prometheus has logged so far.
func (s *Server) Output() string { return s.proc.Output() }
