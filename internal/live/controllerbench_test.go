package live

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/proctest"
	"github.com/nodeguardian/nodeguardian/internal/promtest"
	"github.com/nodeguardian/nodeguardian/internal/testenv"
)

// controllerBenchInterval is every example rule's checkInterval in BenchmarkController:
// the query step's minimum (metrics.MinStep), so that the step and the timer agree.
const controllerBenchInterval = 15 * time.Second

// controllerScrapeInterval is how often Prometheus scrapes the benchmark's exporter.
const controllerScrapeInterval = 5 * time.Second

// controllerHistory is how much quiet history is backfilled before the controller starts:
// more than the longest condition duration of the example rules (3m), so that every
// condition is decided (False) from the first reconcile on.
const controllerHistory = 6 * time.Minute

// BenchmarkController runs `ngctl controller` (the binary, as a child process, so that
// its memory is the controller's alone) on N realistic nodes (CONTROLLER_BENCH_NODES,
// default 1000; benchNode: ~9.5 KB each as the API server stores them) in a real
// kube-apiserver with an audit log, the example rules (examples/rules/yaml) with every
// checkInterval set to 15s, and a real Prometheus scraping a live exporter of three
// metrics per node every 5s, with 6 minutes of the same quiet values backfilled before
// (same series: the exporter's job and instance labels), so that every condition is
// decided from the first reconcile on.
//
// Reported:
//   - sync-s: from the process start to the end of the first reconcile (caches synced);
//   - rss-MB, hwm-MB: the process's VmRSS and VmHWM (/proc/PID/status) then, RSS in two
//     parts: rss-anon-MB (the process's own memory) and rss-file-MB (the pages of the
//     binary it has touched), and heap-MB (go_memstats_heap_inuse_bytes from its /metrics); peak-hwm-MB: VmHWM at
//     the end (after a node fired: its pod LIST, apply, alerts, status);
//   - cycle-requests, cycle-writes, cycle-lists: the controller's requests per steady
//     reconcile (every request whose User-Agent is ngctl's, from the audit log, between
//     the end of the 2nd and the end of the 5th reconcile, divided by 3); writes are
//     create/update/patch/delete on anything but Events and Leases. The benchmark fails
//     when a steady cycle writes or LISTs;
//   - fired-cycle-requests, fired-cycle-writes, fired-cycle-lists: the same over three
//     steady reconciles after that node fired (it stays hot; they start one reconcile
//     after the PATCH was seen, so that the apply's own reconcile is not among them).
//     emergency-eviction evicts, so before issue 10 each of them LISTed the node's pods
//     and every PodDisruptionBudget; the benchmark fails when one writes or LISTs;
//   - latency-s: from the instant one node's memory crosses the threshold of
//     emergency-eviction (> 95 for 30s) — the first scrape of the hot value, when the
//     sample exists in Prometheus — to the API server receiving the PATCH of that node;
//     over-duration-s: latency-s less the condition's duration (30s), the time the
//     controller took once the condition held; its goal is checkInterval + 2s (the query
//     grid is the 15s step, so the condition is seen held up to one step late).
//
// bench/controller.sh runs it (docs/performance.md).
func BenchmarkController(b *testing.B) {
	n := benchNodes(b, "CONTROLLER_BENCH_NODES", 1000)
	dir := b.TempDir()
	auditLog := filepath.Join(dir, "audit.log")
	env := testenv.StartWith(b, testenv.Options{AuditLogPath: auditLog})
	exp := newHotExporter(b, n)
	now := time.Now().UTC().Truncate(time.Second)
	prom := promtest.Start(b, promtest.Options{
		Samples:        exp.history(now.Add(-controllerHistory), now),
		ScrapeTargets:  []string{exp.addr()},
		ScrapeInterval: controllerScrapeInterval,
	})
	createBenchNodes(b, env, n)
	duration := createControllerRules(b, env)
	bin := buildNGCTL(b, dir)
	config := filepath.Join(dir, "metrics.yaml")
	if err := os.WriteFile(config, []byte("nodeLabel: node\nqueries:\n  cpuLoadRatio: bench_load\n"+
		"  memoryUtilizationPercent: bench_memory\n  diskUtilizationPercent: bench_disk\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	metricsAddr, err := proctest.FreeAddr()
	if err != nil {
		b.Fatal(err)
	}
	healthAddr, err := proctest.FreeAddr()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	ctl := startController(b, bin, "controller", "--kubeconfig", env.Kubeconfig, "--prometheus-url", prom.URL,
		"--config", config, "--metrics-addr", metricsAddr, "--health-addr", healthAddr)
	metricsURL := "http://" + metricsAddr + "/metrics"
	waitHTTP(b, ctl, "http://"+healthAddr+"/readyz", 2*time.Minute)

	// (a) Memory once the caches have synced and the first reconcile is done.
	waitReconciles(b, ctl, metricsURL, 1, 5*time.Minute)
	sync := time.Since(ctl.started)
	rss, hwm := ctl.memory()
	anon, file := ctl.rssParts()
	heap := scrapeValue(b, metricsURL, "go_memstats_heap_inuse_bytes")

	// (c) The requests of three steady cycles: between the ends of reconciles 2 and 5.
	steady, writes, lists := ctl.steadyCycles(b, env, auditLog, metricsURL, 2)

	// (b) One node's memory crosses emergency-eviction's threshold at the first scrape
	// that serves it; the PATCH of that node is read from the audit log.
	hot := benchNodeName(n / 2)
	crossed := exp.makeHot(b, n/2, 2*controllerScrapeInterval+5*time.Second)
	patch := ctl.waitPatch(b, env, auditLog, hot, crossed, duration+controllerBenchInterval+2*time.Minute)
	latency := patch.Sub(crossed)
	// (d) Three steady cycles after the node fired (it stays hot): no LIST either — its
	// pods are read on the transition only — and no write.
	fired, firedWrites, firedLists := ctl.steadyCycles(b, env, auditLog, metricsURL, scrapeValue(b, metricsURL, `nodeguardian_reconciles_total{result="success"}`)+1)
	_, peak := ctl.memory()
	ctl.stop(b)
	b.StopTimer()

	b.ReportMetric(sync.Seconds(), "sync-s")
	b.ReportMetric(float64(rss)/(1<<20), "rss-MB")
	b.ReportMetric(float64(hwm)/(1<<20), "hwm-MB")
	b.ReportMetric(float64(anon)/(1<<20), "rss-anon-MB")
	b.ReportMetric(float64(file)/(1<<20), "rss-file-MB")
	b.ReportMetric(heap/(1<<20), "heap-MB")
	b.ReportMetric(float64(peak)/(1<<20), "peak-hwm-MB")
	b.ReportMetric(float64(len(steady))/steadyCycles, "cycle-requests")
	b.ReportMetric(float64(len(writes))/steadyCycles, "cycle-writes")
	b.ReportMetric(float64(len(lists))/steadyCycles, "cycle-lists")
	b.ReportMetric(latency.Seconds(), "latency-s")
	b.ReportMetric((latency - duration).Seconds(), "over-duration-s")
	b.ReportMetric(float64(len(fired))/steadyCycles, "fired-cycle-requests")
	b.ReportMetric(float64(len(firedWrites))/steadyCycles, "fired-cycle-writes")
	b.ReportMetric(float64(len(firedLists))/steadyCycles, "fired-cycle-lists")
	if len(writes) > 0 || len(lists) > 0 {
		b.Errorf("steady cycles: %d writes, %d LISTs (want none):\n%s", len(writes), len(lists),
			strings.Join(append(writes, lists...), "\n"))
	}
	for _, ev := range fired[:min(len(fired), 12)] {
		b.Logf("after the node fired: %s %s", ev.Verb, ev.RequestURI)
	}
	if len(firedWrites) > 0 || len(firedLists) > 0 {
		b.Errorf("steady cycles after a node fired: %d writes, %d LISTs (want none):\n%s", len(firedWrites), len(firedLists),
			strings.Join(append(firedWrites, firedLists...), "\n"))
	}
}

// steadyCycles is how many steady reconciles steadyCycles measures.
const steadyCycles = 3

// steadyCycles returns the controller's requests between the ends of reconciles first
// and first+steadyCycles, and among them the writes (create, update, patch, delete of
// anything but Events and Leases) and the LISTs.
func (p *controllerProc) steadyCycles(b *testing.B, env *testenv.Env, auditLog, metricsURL string, first float64) (all []testenv.AuditEvent, writes, lists []string) {
	waitReconciles(b, p, metricsURL, first, 2*time.Minute)
	from := time.Now()
	waitReconciles(b, p, metricsURL, first+steadyCycles, 2*time.Minute)
	to := time.Now()
	all = p.audit(b, env, auditLog, func(ev testenv.AuditEvent) bool {
		return !ev.RequestReceivedTimestamp.Before(from) && ev.RequestReceivedTimestamp.Before(to)
	})
	for _, ev := range all {
		res := ""
		if ev.ObjectRef != nil {
			res = ev.ObjectRef.Resource
		}
		switch ev.Verb {
		case "create", "update", "patch", "delete", "deletecollection":
			if res != "events" && res != "leases" {
				writes = append(writes, ev.Verb+" "+ev.RequestURI)
			}
		case "list":
			lists = append(lists, ev.RequestURI)
		}
	}
	return all, writes, lists
}

// createControllerRules creates the example rules and alert templates in the cluster, every
// checkInterval set to controllerBenchInterval, and returns the duration of
// emergency-eviction's condition (the rule the latency is measured with).
func createControllerRules(b *testing.B, env *testenv.Env) time.Duration {
	ctx := context.Background()
	set := exampleRules(b)
	for _, t := range set.Templates {
		t := t.DeepCopy()
		t.ResourceVersion = ""
		if err := env.Client.Create(ctx, t); err != nil {
			b.Fatalf("create template %s: %v", t.Name, err)
		}
	}
	var duration time.Duration
	for _, r := range set.Rules {
		r := r.DeepCopy()
		r.ResourceVersion = ""
		r.Spec.Monitoring.CheckInterval = metav1.Duration{Duration: controllerBenchInterval}
		if r.Name == "emergency-eviction" {
			if len(r.Spec.Conditions) != 1 || r.Spec.Conditions[0].Metric != "memoryUtilizationPercent" ||
				r.Spec.Conditions[0].Operator != v1.OpGreaterThan || r.Spec.Conditions[0].Value >= 97 {
				b.Fatalf("emergency-eviction: want one condition memoryUtilizationPercent > (less than 97), got %+v", r.Spec.Conditions)
			}
			duration = r.Spec.Conditions[0].DurationValue()
		}
		if err := env.Client.Create(ctx, r); err != nil {
			b.Fatalf("create rule %s: %v", r.Name, err)
		}
	}
	if duration == 0 && len(set.Rules) > 0 {
		b.Logf("emergency-eviction has no duration")
	}
	return duration
}

// hotExporter serves bench_load, bench_memory and bench_disk for n nodes, all quiet (load
// 0.4, memory 50 %, disk 40 %), until makeHot raises one node's memory to 97 %; it
// records when the first scrape after that was served.
type hotExporter struct {
	srv *httptest.Server
	n   int

	mu      sync.Mutex
	hot     int       // the hot node's index, -1 when none
	crossed time.Time // when the first body with the hot value was served
}

func newHotExporter(b *testing.B, n int) *hotExporter {
	e := &hotExporter{n: n, hot: -1}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		e.mu.Lock()
		hot := e.hot
		if hot >= 0 && e.crossed.IsZero() {
			e.crossed = time.Now()
		}
		e.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		bw := bufio.NewWriterSize(w, 64<<10)
		for _, m := range []string{"bench_load", "bench_memory", "bench_disk"} {
			for i := range e.n {
				fmt.Fprintf(bw, "%s{node=%q} %s\n", m, benchNodeName(i), strconv.FormatFloat(e.value(m, i == hot), 'g', -1, 64))
			}
		}
		_ = bw.Flush()
	}))
	b.Cleanup(e.srv.Close)
	return e
}

// value is metric m of a quiet or hot node.
func (e *hotExporter) value(m string, hot bool) float64 {
	switch m {
	case "bench_load":
		return 0.4
	case "bench_memory":
		if hot {
			return 97
		}
		return 50
	}
	return 40
}

func (e *hotExporter) addr() string { return strings.TrimPrefix(e.srv.URL, "http://") }

// history is the exporter's quiet values every 15s from from to to, with the labels
// Prometheus adds to what it scrapes (job, instance), so that they continue the scraped
// series.
func (e *hotExporter) history(from, to time.Time) []promtest.Sample {
	var out []promtest.Sample
	for at := from; !at.After(to); at = at.Add(15 * time.Second) {
		for _, m := range []string{"bench_load", "bench_memory", "bench_disk"} {
			for i := range e.n {
				out = append(out, promtest.Sample{Metric: m, Value: e.value(m, false), T: at,
					Labels: map[string]string{"node": benchNodeName(i), "job": "test", "instance": e.addr()}})
			}
		}
	}
	return out
}

// makeHot raises node i's memory and returns when the first scrape served it (waiting
// up to within).
func (e *hotExporter) makeHot(b *testing.B, i int, within time.Duration) time.Time {
	e.mu.Lock()
	e.hot = i
	e.mu.Unlock()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		e.mu.Lock()
		at := e.crossed
		e.mu.Unlock()
		if !at.IsZero() {
			return at
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.Fatalf("exporter: not scraped within %s of the node turning hot", within)
	return time.Time{}
}

// controllerProc is a running `ngctl controller`.
type controllerProc struct {
	cmd     *exec.Cmd
	out     *lockedBuffer
	started time.Time
	exited  chan struct{}
	err     error
}

// lockedBuffer is the child's output.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func startController(b *testing.B, bin string, args ...string) *controllerProc {
	p := &controllerProc{out: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	b.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if b.Failed() {
			b.Logf("ngctl controller output (tail):\n%s", tailString(p.out.String(), 6000))
		}
	})
	return p
}

// alive fails the benchmark when the controller has exited.
func (p *controllerProc) alive(b *testing.B) {
	select {
	case <-p.exited:
		b.Fatalf("ngctl controller exited: %v", p.err)
	default:
	}
}

// memory is the process's VmRSS and VmHWM in bytes.
func (p *controllerProc) memory() (rss, hwm int64) {
	status := fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid)
	return procStatusBytes(status, "VmRSS:"), procStatusBytes(status, "VmHWM:")
}

// rssParts is the process's RssAnon and RssFile in bytes: its own memory, and the pages
// of its binary (and other files) it has touched.
func (p *controllerProc) rssParts() (anon, file int64) {
	status := fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid)
	return procStatusBytes(status, "RssAnon:"), procStatusBytes(status, "RssFile:")
}

// stop sends SIGTERM and waits for a graceful exit.
func (p *controllerProc) stop(b *testing.B) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.err != nil {
			b.Errorf("ngctl controller: %v", p.err)
		}
	case <-time.After(time.Minute):
		b.Errorf("ngctl controller did not stop within 1m of SIGTERM")
	}
}

// isController says whether an audit event is a request of the controller (ngctl's
// User-Agent: "nodeguardian ngctl/…"; the benchmark's own clients are live.test's).
func isController(ev testenv.AuditEvent) bool { return strings.Contains(ev.UserAgent, "ngctl/") }

// audit returns the controller's audit events that keep keeps, once the log holds every
// request sent so far (auditEvents).
func (p *controllerProc) audit(b *testing.B, env *testenv.Env, path string, keep func(testenv.AuditEvent) bool) []testenv.AuditEvent {
	return auditEvents(b, env, path, "ngctl-controller-bench-marker", func(ev testenv.AuditEvent) bool {
		return isController(ev) && keep(ev)
	})
}

// waitPatch waits for the controller's PATCH of node and returns when the API server
// received it.
func (p *controllerProc) waitPatch(b *testing.B, env *testenv.Env, path, node string, since time.Time, within time.Duration) time.Time {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		p.alive(b)
		evs, err := testenv.ReadAudit(path, func(ev testenv.AuditEvent) bool {
			return isController(ev) && ev.Verb == "patch" && ev.ObjectRef != nil && ev.ObjectRef.Resource == "nodes" &&
				ev.ObjectRef.Name == node && ev.ObjectRef.Subresource == "" && !ev.RequestReceivedTimestamp.Before(since)
		})
		if err != nil {
			b.Fatal(err)
		}
		if len(evs) > 0 {
			return evs[0].RequestReceivedTimestamp
		}
		time.Sleep(250 * time.Millisecond)
	}
	b.Fatalf("no PATCH of node %s within %s", node, within)
	return time.Time{}
}

// auditEvents returns the events keep keeps once the log holds every request sent so
// far: the log is written as responses complete, so a marker request (a GET with
// User-Agent marker) is sent and waited for first.
func auditEvents(b *testing.B, env *testenv.Env, path, marker string, keep func(testenv.AuditEvent) bool) []testenv.AuditEvent {
	ctx := context.Background()
	cfg := *env.Config
	cfg.UserAgent = marker
	mc, err := kubernetes.NewForConfig(&cfg)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := mc.CoreV1().Nodes().Get(ctx, benchNodeName(0), metav1.GetOptions{}); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		markers, err := testenv.ReadAudit(path, func(ev testenv.AuditEvent) bool { return ev.UserAgent == marker })
		if err != nil {
			b.Fatal(err)
		}
		if len(markers) > 0 {
			time.Sleep(100 * time.Millisecond) // completions racing the marker's
			events, err := testenv.ReadAudit(path, keep)
			if err != nil {
				b.Fatal(err)
			}
			return events
		}
		if time.Now().After(deadline) {
			b.Fatalf("audit log %s: no event of the marker request after 10s", path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitHTTP waits until url answers 200.
func waitHTTP(b *testing.B, p *controllerProc, url string, within time.Duration) {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		p.alive(b)
		resp, err := http.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.Fatalf("%s: not ready within %s", url, within)
}

// waitReconciles waits until the controller has completed k successful reconciles
// (nodeguardian_reconciles_total{result="success"}).
func waitReconciles(b *testing.B, p *controllerProc, metricsURL string, k float64, within time.Duration) {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		p.alive(b)
		if scrapeValue(b, metricsURL, `nodeguardian_reconciles_total{result="success"}`) >= k {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatalf("fewer than %v reconciles within %s", k, within)
}

// scrapeValue is the value of the series named series (name and labels as the text
// format prints them) on metricsURL, 0 when absent.
func scrapeValue(b *testing.B, metricsURL, series string) float64 {
	v, err := proctest.Scrape(metricsURL, series)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// procStatusBytes reads a kB field (VmRSS:, VmHWM:) of a /proc/PID/status file in bytes.
func procStatusBytes(status, field string) int64 {
	data, err := os.ReadFile(status)
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func tailString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
