// Package amtest runs a real Alertmanager for tests: Debian's prometheus-alertmanager
// (or $ALERTMANAGER_BIN) on a free 127.0.0.1 port, with a temporary configuration (one
// receiver that sends nothing), a temporary data directory and clustering off. It is
// stopped by t.Cleanup.
//
// Without the binary the test is skipped, unless NODEGUARDIAN_REQUIRE_ALERTMANAGER=1,
// when it fails.
//
//	am := amtest.Start(t)
//	// POST alerts to am.URL + "/api/v2/alerts"; am.Alerts(t) lists them
package amtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/nodeguardian/nodeguardian/internal/proctest"
)

// Environment variables read by this package.
const (
	EnvBinary  = "ALERTMANAGER_BIN"                  // the alertmanager binary
	EnvRequire = "NODEGUARDIAN_REQUIRE_ALERTMANAGER" // "1": a missing binary fails the test
)

// DefaultBinary is Debian's Alertmanager.
const DefaultBinary = "/usr/bin/prometheus-alertmanager"

// config routes every alert to a receiver without integrations.
const config = `route:
  receiver: blackhole
  group_wait: 1h
receivers:
  - name: blackhole
`

// Server is a running Alertmanager.
type Server struct {
	// URL is Alertmanager's base URL (http://127.0.0.1:PORT).
	URL string

	proc *proctest.Process
}

// Binary returns the alertmanager path, skipping the test when it is missing (failing
// it when NODEGUARDIAN_REQUIRE_ALERTMANAGER=1).
func Binary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv(EnvBinary)
	if bin == "" {
		bin = DefaultBinary
	}
	if _, err := exec.LookPath(bin); err != nil {
		msg := fmt.Sprintf("amtest: %s not found (%v): install Alertmanager "+
			"(apt-get install --no-install-recommends prometheus-alertmanager) or set $%s", bin, err, EnvBinary)
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s; %s=1 requires it", msg, EnvRequire)
		}
		t.Skip(msg)
	}
	return bin
}

// Start starts Alertmanager and waits until it is ready (at most 60s).
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatalf("amtest: %v", err)
	}
	s := &Server{}
	var err error
	for range 3 { // a free port may be taken before Alertmanager binds it
		if err = s.start(bin, cfg, filepath.Join(dir, "data")); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("amtest: %v", err)
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("amtest: alertmanager output:\n%s", s.proc.Output())
		}
	})
	return s
}

func (s *Server) start(bin, cfg, data string) error {
	addr, err := proctest.FreeAddr()
	if err != nil {
		return err
	}
	s.proc, err = proctest.Start(exec.Command(bin, "--config.file="+cfg, "--storage.path="+data,
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn"))
	if err != nil {
		return err
	}
	s.URL = "http://" + addr
	if err := s.proc.WaitReady(s.URL+"/-/ready", 60*time.Second); err != nil {
		s.proc.Stop()
		return fmt.Errorf("%s on %s: %w\n%s", bin, addr, err, s.proc.Output())
	}
	return nil
}

// Stop stops Alertmanager (SIGTERM, then SIGKILL after 10s). It may be called twice.
func (s *Server) Stop() { s.proc.Stop() }

// Alert is an alert as GET /api/v2/alerts lists it.
type Alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	Status      struct {
		State string `json:"state"` // "active", "suppressed", "unprocessed"
	} `json:"status"`
}

// Alerts lists the alerts GET /api/v2/alerts returns: the unresolved ones (active,
// silenced, inhibited or unprocessed). Alertmanager does not list resolved alerts.
func (s *Server) Alerts(t testing.TB) []Alert {
	t.Helper()
	resp, err := http.Get(s.URL + "/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true")
	if err != nil {
		t.Fatalf("amtest: %v", err)
	}
	defer resp.Body.Close()
	var out []Alert
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("amtest: decoding /api/v2/alerts: %v", err)
	}
	return out
}
