package proctest

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestFreeAddr(t *testing.T) {
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("FreeAddr() = %q, want 127.0.0.1:PORT", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listening on %s: %v", addr, err)
	}
	l.Close()
}

func TestStartStop(t *testing.T) {
	p, err := Start(exec.Command("sleep", "60"))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Exited():
		t.Fatal("exited before Stop")
	default:
	}
	start := time.Now()
	p.Stop()
	if d := time.Since(start); d >= KillAfter {
		t.Errorf("Stop took %s: SIGTERM was not enough", d)
	}
	select {
	case <-p.Exited():
	default:
		t.Fatal("Exited() not closed after Stop")
	}
	p.Stop() // idempotent
}

// Kill ends a process that ignores SIGTERM (sleep inherits the ignored signal) at once,
// and may be repeated.
func TestKill(t *testing.T) {
	p, err := Start(exec.Command("sh", "-c", "trap '' TERM; echo up; exec sleep 60"))
	if err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(p.Output(), "up") {
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	p.Kill()
	if d := time.Since(start); d >= KillAfter {
		t.Errorf("Kill took %s", d)
	}
	select {
	case <-p.Exited():
	default:
		t.Fatal("Exited() not closed after Kill")
	}
	p.Kill()
	p.Stop()
}

func TestStartMissingBinary(t *testing.T) {
	if _, err := Start(exec.Command("/nonexistent/proctest-binary")); err == nil {
		t.Fatal("Start of a missing binary: no error")
	}
}

func TestNilProcess(t *testing.T) {
	var p *Process
	p.Stop()
	if got := p.Output(); got != "" {
		t.Errorf("nil Output() = %q", got)
	}
}

func TestOutput(t *testing.T) {
	p, err := Start(exec.Command("sh", "-c", "echo out; echo err >&2"))
	if err != nil {
		t.Fatal(err)
	}
	<-p.Exited()
	if got := p.Output(); !strings.Contains(got, "out\n") || !strings.Contains(got, "err\n") {
		t.Errorf("Output() = %q, want stdout and stderr", got)
	}
}

func TestWaitReady(t *testing.T) {
	var polls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/-/ready" {
			http.NotFound(w, r)
			return
		}
		if polls.Add(1) < 4 {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	p, err := Start(exec.Command("sleep", "60"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	if err := p.WaitReady(srv.URL+"/-/ready", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := polls.Load(); n != 4 {
		t.Errorf("%d polls, want 4", n)
	}
}

func TestWaitReadyTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "starting", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	p, err := Start(exec.Command("sleep", "60"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	err = p.WaitReady(srv.URL+"/-/ready", 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "not ready after") {
		t.Fatalf("WaitReady = %v, want a timeout", err)
	}
}

func TestWaitReadyExited(t *testing.T) {
	addr, err := FreeAddr() // nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	p, err := Start(exec.Command("sh", "-c", "exit 3"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = p.WaitReady("http://"+addr+"/-/ready", 30*time.Second)
	if err == nil || !strings.Contains(err.Error(), "exited") {
		t.Fatalf("WaitReady = %v, want an early-exit error", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("WaitReady took %s after the process exited", d)
	}
}

// Scrape reads a series of a /metrics page, 0 when absent or unreachable, an error when
// its value does not parse.
func TestScrape(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "# HELP x\nrec_total{result=\"success\"} 3\nrec_total{result=\"failure\"} 1\nbad x\n")
	}))
	defer srv.Close()
	for series, want := range map[string]float64{`rec_total{result="success"}`: 3, `rec_total{result="failure"}`: 1, "absent": 0} {
		if got, err := Scrape(srv.URL, series); err != nil || got != want {
			t.Errorf("Scrape(%s) = %v, %v; want %v", series, got, err, want)
		}
	}
	if _, err := Scrape(srv.URL, "bad"); err == nil {
		t.Error("an unparsable value is not an error")
	}
	if got, err := Scrape("http://127.0.0.1:1/metrics", "x"); got != 0 || err != nil {
		t.Errorf("unreachable = %v, %v; want 0, nil", got, err)
	}
}
