// Package proctest runs a server process for tests: it finds a free 127.0.0.1 port,
// starts the command with its output captured, waits until the server answers ready,
// and stops it (SIGTERM, then SIGKILL). promtest and amtest build on it.
//
//	addr, err := proctest.FreeAddr()
//	p, err := proctest.Start(exec.Command(bin, "--web.listen-address="+addr))
//	defer p.Stop()
//	err = p.WaitReady("http://"+addr+"/-/ready", time.Minute)
package proctest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// KillAfter is how long Stop waits after SIGTERM before it sends SIGKILL.
const KillAfter = 10 * time.Second

// pollInterval is the pause between two readiness probes.
const pollInterval = 50 * time.Millisecond

// Process is a started command. Its methods are safe for concurrent use; Stop and
// Output also accept a nil *Process.
type Process struct {
	cmd  *exec.Cmd
	out  syncBuffer
	done chan struct{} // closed when the process has exited
}

// FreeAddr returns a 127.0.0.1:PORT address whose port was free a moment ago. Another
// process may take it before the caller binds it, so callers retry on failure.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	return addr, nil
}

// Start starts cmd with its stdout and stderr captured (see Output), and reaps it in
// the background (see Exited). cmd must not have been started, and its Stdout and
// Stderr are replaced.
func Start(cmd *exec.Cmd) (*Process, error) {
	p := &Process{cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.out, &p.out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.done }

// WaitReady polls url (e.g. "http://127.0.0.1:9090/-/ready") every 50ms until it
// answers 200 OK. It fails when the process exits first or timeout passes; it does
// not stop the process.
func (p *Process) WaitReady(url string, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-p.done:
			return errors.New("exited before it was ready")
		default:
		}
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if !time.Now().Before(deadline) {
			return fmt.Errorf("not ready after %s", timeout)
		}
		select {
		case <-p.done:
			return errors.New("exited before it was ready")
		case <-time.After(pollInterval):
		}
	}
}

// Stop sends SIGTERM, sends SIGKILL if the process is still running KillAfter later,
// and returns once it has exited. It may be called more than once.
func (p *Process) Stop() {
	if p == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(KillAfter):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Kill sends SIGKILL — no chance to clean up, as when a node dies or the OOM killer
// strikes — and returns once the process has exited. It may be called more than once,
// and after Stop.
func (p *Process) Kill() {
	if p == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Output is what the process has written to stdout and stderr so far.
func (p *Process) Output() string {
	if p == nil {
		return ""
	}
	return p.out.String()
}

// syncBuffer is a byte buffer safe for concurrent writes and reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
