package live

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nodeguardian/nodeguardian/internal/promtest"
	"github.com/nodeguardian/nodeguardian/internal/testenv"
)

// cliRun is one ngctl command's cost: wall time and the process's peak RSS.
type cliRun struct {
	wall time.Duration
	rss  int64 // bytes (VmHWM)
}

// runCLI runs the ngctl binary with args and returns its cost; exit codes in ok are
// accepted (plan exits 0; 2 is not used by plan).
func runCLI(b *testing.B, bin string, args ...string) cliRun {
	b.Helper()
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	// The child's ru_maxrss is no use: Linux counts in it the parent's memory the child
	// shared until exec. Its VmHWM (the peak of its own memory since exec) is read
	// until it exits instead.
	var hwm atomic.Int64
	done := make(chan struct{})
	go func() {
		status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		for {
			if v := vmHWM(status); v > hwm.Load() {
				hwm.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	err := cmd.Wait()
	wall := time.Since(start)
	close(done)
	if err != nil {
		b.Fatalf("ngctl %v: %v\n%s", args, err, out.Bytes())
	}
	return cliRun{wall: wall, rss: hwm.Load()}
}

// vmHWM reads VmHWM from a /proc/PID/status file, in bytes (0 when unreadable).
func vmHWM(status string) int64 { return procStatusBytes(status, "VmHWM:") }

// buildNGCTL builds cmd/ngctl into dir.
func buildNGCTL(b *testing.B, dir string) string {
	b.Helper()
	bin := filepath.Join(dir, "ngctl")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/ngctl")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build ngctl: %v\n%s", err, out)
	}
	return bin
}

// BenchmarkCLI runs the ngctl binary, as a user does, on N realistic nodes (benchNode:
// ~9.5 KB each as the API server stores them) in a real kube-apiserver and 15 minutes of
// three metrics per node in a real Prometheus: `ngctl snapshot`, `ngctl plan --snapshot`
// on the file it wrote, and a live `ngctl plan`, with the example rules. It reports each
// command's wall time and peak RSS (the child process's VmHWM, sampled every 2 ms: the CLI alone, not
// the benchmark) and the snapshot's size. LIVE_CLI_NODES sets N (default 2000);
// LIVE_CLI_KEEP, when set, is where the snapshot file is copied;
// bench/live-plan.sh and `make bench` run it (docs/performance.md).
func BenchmarkCLI(b *testing.B) {
	n := benchNodes(b, "LIVE_CLI_NODES", 2000)
	env := testenv.Start(b)
	now := time.Now().UTC().Truncate(time.Minute).Add(-15 * time.Minute)
	prom := promtest.Start(b, promtest.Options{Samples: benchSamples(n, now, func(i int) bool { return i%50 == 0 })})
	createBenchNodes(b, env, n)
	dir := b.TempDir()
	bin := buildNGCTL(b, dir)
	config := filepath.Join(dir, "metrics.yaml")
	if err := os.WriteFile(config, []byte("nodeLabel: node\nqueries:\n  cpuLoadRatio: bench_load\n"+
		"  memoryUtilizationPercent: bench_memory\n  diskUtilizationPercent: bench_disk\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	rules := filepath.Join("..", "..", "examples", "rules", "yaml")
	snap := filepath.Join(dir, "fleet.yaml")
	at := now.Format(time.RFC3339)
	live := []string{"--kubeconfig", env.Kubeconfig, "--prometheus-url", prom.URL, "--config", config, "--now", at}
	var snapshot, offline, planned cliRun
	var size int64
	b.ResetTimer()
	for b.Loop() {
		s := runCLI(b, bin, append([]string{"snapshot", "-f", rules, "-o", snap}, live...)...)
		o := runCLI(b, bin, "plan", "-f", rules, "--snapshot", snap)
		p := runCLI(b, bin, append([]string{"plan", "-f", rules}, live...)...)
		for _, r := range []struct{ sum, run *cliRun }{{&snapshot, &s}, {&offline, &o}, {&planned, &p}} {
			r.sum.wall += r.run.wall
			r.sum.rss = max(r.sum.rss, r.run.rss)
		}
	}
	if keep := os.Getenv("LIVE_CLI_KEEP"); keep != "" { // keep the snapshot, e.g. to profile plan --snapshot
		data, err := os.ReadFile(snap)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(keep, data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	fi, err := os.Stat(snap)
	if err != nil {
		b.Fatal(err)
	}
	size = fi.Size()
	runs := float64(b.N)
	b.ReportMetric(float64(snapshot.wall.Milliseconds())/runs, "snapshot-ms/op")
	b.ReportMetric(float64(snapshot.rss)/(1<<20), "snapshot-rss-MB")
	b.ReportMetric(float64(offline.wall.Milliseconds())/runs, "plan-snapshot-ms/op")
	b.ReportMetric(float64(offline.rss)/(1<<20), "plan-snapshot-rss-MB")
	b.ReportMetric(float64(planned.wall.Milliseconds())/runs, "live-plan-ms/op")
	b.ReportMetric(float64(planned.rss)/(1<<20), "live-plan-rss-MB")
	b.ReportMetric(float64(size)/(1<<20), "snapshot-MiB")
}
