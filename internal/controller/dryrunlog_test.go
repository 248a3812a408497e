package controller

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"

	"github.com/nodeguardian/nodeguardian/internal/notify"
	"github.com/nodeguardian/nodeguardian/internal/plan"
)

// logLines is a logger's output, line by line.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) add(prefix, args string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, prefix+" "+args)
}

// matching are the lines holding sub.
func (l *logLines) matching(sub string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			out = append(out, s)
		}
	}
	return out
}

// --dry-run logs each new plan it does not apply: one line naming the plan ID and its
// changes (the taint, the state change), not the ledger; the same plan again logs nothing.
func TestGlobalDryRunLogsThePlan(t *testing.T) {
	w := newWorld(t, "ng_hot{node=\"dlog-a\"} 1\n")
	w.node("dlog-a", map[string]string{"group": "dlog"})
	logs := &logLines{}
	run := w.start(Options{DryRun: true, Logger: funcr.New(logs.add, funcr.Options{})})
	w.rule("dlog", hotRule("dlog", "ng_hot", ""))
	eventually(t, 20*time.Second, "the dry-run log line", func() (bool, string) {
		return len(logs.matching("dry run: changes computed")) > 0 && run.reconciles() >= 3, ""
	})
	lines := logs.matching("dry run: changes computed")
	if len(lines) != 1 {
		t.Fatalf("%d dry-run log lines over %v reconciles of one unchanged plan, want 1:\n%s", len(lines), run.reconciles(), strings.Join(lines, "\n"))
	}
	line := lines[0]
	for _, want := range []string{`"plan"="`, `"global"=true`, `dlog-a: + taint dlog/hot = true (NoSchedule) [dlog]`, `dlog-a: ! rule dlog: Healthy → Firing`} {
		if !strings.Contains(line, want) {
			t.Errorf("dry-run log line lacks %s:\n%s", want, line)
		}
	}
	if strings.Contains(line, "ledger") {
		t.Errorf("dry-run log line shows the ledger:\n%s", line)
	}
}

// Only the changes not applied are listed (all of them under --dry-run), at most
// maxLoggedChanges, then how many more.
func TestDryRunChanges(t *testing.T) {
	p := &plan.Plan{Nodes: []plan.NodePlan{{Node: "a", Changes: []plan.Change{
		{Op: plan.OpAdd, Kind: plan.KindTaint, Rule: "dry", Key: "k", Value: "v", Effect: "NoSchedule", DryRun: true},
		{Op: plan.OpAdd, Kind: plan.KindLabel, Rule: "live", Key: "l", Value: "x"},
		{Op: plan.OpAdd, Kind: plan.KindLedger, Key: ledgerKey, Value: "{}"},
	}}}}
	if got := dryRunChanges(p, false); fmt.Sprint(got) != "[a: + taint k = v (NoSchedule) (dry-run) [dry]]" {
		t.Errorf("spec.dryRun changes: %q", got)
	}
	if got := dryRunChanges(p, true); len(got) != 2 || !strings.Contains(got[1], "label l = x [live]") {
		t.Errorf("--dry-run changes: %q", got)
	}
	var many []plan.Change
	for i := range maxLoggedChanges + 5 {
		many = append(many, plan.Change{Op: plan.OpAdd, Kind: plan.KindLabel, Rule: "r", Key: fmt.Sprintf("k%d", i), Value: "v"})
	}
	got := dryRunChanges(&plan.Plan{Nodes: []plan.NodePlan{{Node: "a", Changes: many}}}, true)
	if len(got) != maxLoggedChanges+1 || got[len(got)-1] != "... and 5 more" {
		t.Errorf("%d lines, the last %q", len(got), got[len(got)-1])
	}
}

// The controller logs at start that Alertmanager's resolveTimeout does not outlast the
// repeat interval (notify.Config.ResolveTimeoutWarnings, as ngctl apply prints it).
func TestLogResolveTimeoutWarnings(t *testing.T) {
	cfg := notify.Config{Alertmanager: &notify.AlertmanagerConfig{URL: "http://am", ResolveTimeout: time.Hour}}
	for _, tt := range []struct {
		repeat time.Duration
		want   string
	}{
		{4 * time.Hour, "resolveTimeout 1h0m0s is not above the repeat interval 4h0m0s"},
		{-1, "never repeats a firing alert"},
	} {
		logs := &logLines{}
		logResolveTimeoutWarnings(funcr.New(logs.add, funcr.Options{}), cfg, tt.repeat)
		if got := logs.matching(tt.want); len(got) != 1 || !strings.Contains(got[0], "warning: alertmanager: ") {
			t.Errorf("repeat %s: logged %q, want one warning holding %q", tt.repeat, logs.lines, tt.want)
		}
	}
	logs := &logLines{}
	logResolveTimeoutWarnings(funcr.New(logs.add, funcr.Options{}), cfg, 30*time.Minute)
	logResolveTimeoutWarnings(funcr.New(logs.add, funcr.Options{}), notify.Config{}, 4*time.Hour)
	if len(logs.lines) != 0 {
		t.Errorf("a timeout above the interval, or no alertmanager: logged %q", logs.lines)
	}
}
