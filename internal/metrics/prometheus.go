package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/nodeguardian/nodeguardian/internal/redact"
	"github.com/nodeguardian/nodeguardian/internal/series"
)

// Defaults of PrometheusOptions.
const (
	// DefaultTimeout bounds each query.
	DefaultTimeout = 30 * time.Second
	// DefaultMinRange is how far back every query reaches at least: the evaluator's
	// default staleness limit, so that a series that stopped shows when it stopped and a
	// duration-0 condition still sees the latest sample.
	DefaultMinRange = 5 * time.Minute
)

// maxParallelQueries bounds the queries one Fetch runs at once.
const maxParallelQueries = 4

// PrometheusOptions say how to reach Prometheus.
type PrometheusOptions struct {
	URL                string        // the default Prometheus, e.g. http://prometheus:9090
	BearerTokenFile    string        // file holding a bearer token (read on every request)
	Username           string        // basic auth user
	PasswordFile       string        // file holding the basic auth password (read on every request)
	CAFile             string        // PEM CA bundle for https
	InsecureSkipVerify bool          // do not verify the server certificate
	Timeout            time.Duration // per query; default DefaultTimeout
	MinRange           time.Duration // every query covers at least this much; default DefaultMinRange
}

// Prometheus is a Source reading range queries from Prometheus: one query per Need and
// Fetch, for all nodes at once. It is safe for concurrent use.
type Prometheus struct {
	opts PrometheusOptions
	cfg  Config
	auth *authTransport

	mu      sync.Mutex
	clients map[string]promv1.API // by base URL; rule overrides share the auth options
}

// NewPrometheus checks the options (the URL, that the secret and CA files can be read)
// and returns a Source. Nothing is queried yet.
func NewPrometheus(opts PrometheusOptions, cfg Config) (*Prometheus, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("metrics config: %w", err)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MinRange <= 0 {
		opts.MinRange = DefaultMinRange
	}
	auth, err := newAuthTransport(opts)
	if err != nil {
		return nil, fmt.Errorf("prometheus: %w", err)
	}
	p := &Prometheus{opts: opts, cfg: cfg, auth: auth, clients: map[string]promv1.API{}}
	if _, _, err := p.client(opts.URL); err != nil {
		return nil, err
	}
	return p, nil
}

// client returns the API client of a base URL ("" = the default) and the URL as shown
// in messages (user info redacted).
func (p *Prometheus) client(raw string) (promv1.API, string, error) {
	if raw == "" {
		raw = p.opts.URL
	}
	u, err := redact.ParseHTTPURL(raw)
	if err != nil {
		return nil, p.auth.scrub(redact.URL(raw)), fmt.Errorf("prometheus: %s", p.auth.scrub(err.Error()))
	}
	if pw, ok := u.User.Password(); ok {
		p.auth.addUserInfo(u.User.Username(), pw)
	}
	shown := redact.URL(raw)
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[raw]; ok {
		return c, shown, nil
	}
	c, err := api.NewClient(api.Config{Address: raw, Client: &http.Client{Transport: p.auth}})
	if err != nil {
		return nil, shown, fmt.Errorf("prometheus %s: %w", shown, err)
	}
	a := promv1.NewAPI(c)
	p.clients[raw] = a
	return a, shown, nil
}

// needResult is what one query gave.
type needResult struct {
	samples  map[string][]series.Sample // node → samples
	err      string                     // for Data.Errors; "" when the query succeeded
	source   bool                       // err is a failed read (not a query that cannot be sent)
	warnings []string
}

// Fetch runs one range query per Need, all nodes at once, ending at req.Now with step
// req.Step. A query that fails — Prometheus down, HTTP error, timeout, bad PromQL —
// records its metric in Data.Errors (its conditions are Unknown, never 0) and a warning;
// Fetch itself fails only on an invalid request or when ctx ends.
func (p *Prometheus) Fetch(ctx context.Context, req Request) (Result, error) {
	if err := checkRequest(req); err != nil {
		return Result{}, err
	}
	var want map[string]bool
	if len(req.Nodes) > 0 {
		want = make(map[string]bool, len(req.Nodes))
		for _, n := range req.Nodes {
			want[n] = true
		}
	}
	needs, conflicts := mergeNeeds(req.Needs, p.needKey, func(n Need) string { return p.shownURL(n.URL) })
	outs := make([]needResult, len(needs))
	sem := make(chan struct{}, maxParallelQueries)
	var wg sync.WaitGroup
	for i := range needs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			outs[i] = p.fetchNeed(ctx, needs[i], req, want)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("prometheus: fetch: %w", err)
	}
	res := mergeResults(needs, outs)
	for _, m := range sortedKeys(conflicts) {
		res.Data.Errors[m] = "prometheus: " + conflicts[m]
		res.Warnings = append(res.Warnings, fmt.Sprintf("prometheus: %s: %s; its conditions are Unknown", m, conflicts[m]))
	}
	return res, nil
}

// needKey is the Prometheus and query a Need reads: an override naming the default
// Prometheus is the default.
func (p *Prometheus) needKey(n Need) string {
	u := n.URL
	if u == "" {
		u = p.opts.URL
	}
	return strings.TrimRight(u, "/") + "\x00" + strings.TrimSpace(n.Query)
}

// shownURL is a Prometheus URL ("" = the default) as messages show it.
func (p *Prometheus) shownURL(raw string) string {
	if raw == "" {
		raw = p.opts.URL
	}
	return p.auth.scrub(redact.URL(raw))
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// mergeResults puts the per-Need results into one Result, in Need order.
func mergeResults(needs []Need, outs []needResult) Result {
	res := Result{Data: &series.Data{Samples: map[string]map[string][]series.Sample{}, Errors: map[string]string{}}}
	for i, o := range outs {
		res.Warnings = append(res.Warnings, o.warnings...)
		if o.err != "" {
			res.Data.Errors[needs[i].Metric] = o.err
			if o.source {
				res.addFailed(needs[i].Metric)
			}
			continue
		}
		for node, s := range o.samples {
			if len(s) > 0 {
				res.Data.Add(node, needs[i].Metric, s...)
			}
		}
	}
	return res
}

// queryRange is the range of one Need's query: it ends at end and reaches back
// max(Window, 2×step, MinRange), rounded up to whole steps so that a sample falls on
// end and on end-Window.
func queryRange(n Need, end time.Time, step, minRange time.Duration) promv1.Range {
	span := max(n.Window, 2*step, minRange)
	k := (span + step - 1) / step
	return promv1.Range{Start: end.Add(-k * step), End: end, Step: step}
}

func (p *Prometheus) fetchNeed(ctx context.Context, n Need, req Request, want map[string]bool) needResult {
	c, shown, err := p.client(n.URL)
	if err != nil {
		return p.failed(n, shown, err.Error())
	}
	if strings.TrimSpace(n.Query) == "" {
		return p.failed(n, shown, "no query")
	}
	end := req.Now.Truncate(time.Millisecond)
	qctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	val, warns, err := c.QueryRange(qctx, n.Query, queryRange(n, end, req.Step, p.opts.MinRange))
	var out needResult
	for _, w := range warns {
		out.warnings = append(out.warnings, p.auth.scrub(fmt.Sprintf("prometheus %s: %s: %s", shown, n.Metric, w)))
	}
	if err != nil {
		f := p.failed(n, shown, "query failed: "+p.errText(err))
		f.warnings = append(out.warnings, f.warnings...)
		f.source = true
		return f
	}
	m, ok := val.(model.Matrix)
	if !ok {
		got := "no result"
		if val != nil {
			got = "a " + val.Type().String()
		}
		f := p.failed(n, shown, fmt.Sprintf("query returned %s, want a range vector", got))
		f.warnings = append(out.warnings, f.warnings...)
		f.source = true
		return f
	}
	mapped := mapSeries(m, p.cfg.label(), want)
	out.samples = mapped.samples
	for _, w := range mapped.warnings() {
		out.warnings = append(out.warnings, fmt.Sprintf("prometheus %s: %s: %s", shown, n.Metric, w))
	}
	return out
}

// failed is the result of a query that did not answer: the metric is Unknown.
func (p *Prometheus) failed(n Need, shown, msg string) needResult {
	msg = p.auth.scrub(msg)
	return needResult{
		err:      fmt.Sprintf("prometheus %s: %s", shown, msg),
		warnings: []string{fmt.Sprintf("prometheus %s: %s: %s; its conditions are Unknown", shown, n.Metric, msg)},
	}
}

// errText is a short, secret-free description of a query error.
func (p *Prometheus) errText(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("timed out after %s", p.opts.Timeout)
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := err.Error()
	var ae *promv1.Error
	if errors.As(err, &ae) && ae.Detail != "" {
		detail := strings.TrimSpace(ae.Detail)
		if line, _, _ := strings.Cut(detail, "\n"); len(line) <= 200 && line != "" {
			msg += ": " + line
		}
	}
	return p.auth.scrub(msg)
}
