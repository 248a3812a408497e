package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

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
	// DefaultMaxResponseSize bounds the bytes read of one query's response (one metric, all
	// nodes): 64 MiB holds 10,000 series of about 190 samples each (a sample is about 34
	// bytes of JSON, a series' labels about 50), e.g. a 45-minute window at a 15s step, or
	// the 3 metrics × 20-sample windows of docs/performance.md's 10,000-node fleet in one
	// response. A larger response fails that query (the metric is Unknown); raise the bound
	// with --prometheus-max-response-size. Responses are decoded as they are read, so a
	// query costs about the bound at most, never the whole of a huge response.
	DefaultMaxResponseSize int64 = 64 << 20
)

// queryRangeEndpoint is the HTTP API endpoint of range queries.
const queryRangeEndpoint = "/api/v1/query_range"

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
	MaxResponseSize    int64         // bytes read of one response at most; default DefaultMaxResponseSize
}

// Prometheus is a Source reading range queries from Prometheus: one query per Need and
// Fetch, for all nodes at once. It is safe for concurrent use.
type Prometheus struct {
	opts PrometheusOptions
	cfg  Config
	auth *authTransport
	http *http.Client // rule overrides share the auth options
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
	if opts.MaxResponseSize <= 0 {
		opts.MaxResponseSize = DefaultMaxResponseSize
	}
	auth, err := newAuthTransport(opts)
	if err != nil {
		return nil, fmt.Errorf("prometheus: %w", err)
	}
	p := &Prometheus{opts: opts, cfg: cfg, auth: auth, http: &http.Client{Transport: auth}}
	if _, _, err := p.endpoint(opts.URL); err != nil {
		return nil, err
	}
	return p, nil
}

// endpoint returns the query_range URL of a base URL ("" = the default) and the base URL
// as shown in messages (user info redacted).
func (p *Prometheus) endpoint(raw string) (*url.URL, string, error) {
	if raw == "" {
		raw = p.opts.URL
	}
	u, err := redact.ParseBaseURL(raw)
	if err != nil {
		return nil, p.auth.scrub(redact.URLQuery(raw)), fmt.Errorf("prometheus: %s", p.auth.scrub(err.Error()))
	}
	if pw, ok := u.User.Password(); ok {
		p.auth.addUserInfo(u.User.Username(), pw)
	}
	e := *u
	e.Path = path.Join(strings.TrimRight(u.Path, "/"), queryRangeEndpoint)
	e.RawPath = ""
	return &e, redact.URL(raw), nil
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
	u, shown, err := p.endpoint(n.URL)
	if err != nil {
		return p.failed(n, shown, err.Error())
	}
	if strings.TrimSpace(n.Query) == "" {
		return p.failed(n, shown, "no query")
	}
	end := req.Now.Truncate(time.Millisecond)
	qctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	resp, err := p.queryRange(qctx, u, n.Query, queryRange(n, end, req.Step, p.opts.MinRange), want)
	if err != nil && qctx.Err() != nil {
		err = qctx.Err() // a body read cut short by the timeout
	}
	var out needResult
	if resp != nil {
		for _, w := range resp.warnings {
			out.warnings = append(out.warnings, p.auth.scrub(fmt.Sprintf("prometheus %s: %s: %s", shown, n.Metric, w)))
		}
	}
	if err != nil {
		f := p.failed(n, shown, "query failed: "+p.errText(err))
		f.warnings = append(out.warnings, f.warnings...)
		f.source = true
		return f
	}
	if resp.resultType != model.ValMatrix.String() {
		got := "no result"
		if resp.resultType != "" {
			got = "a " + resp.resultType
		}
		f := p.failed(n, shown, fmt.Sprintf("query returned %s, want a range vector", got))
		f.warnings = append(out.warnings, f.warnings...)
		f.source = true
		return f
	}
	out.samples = resp.mapped.samples
	for _, w := range resp.mapped.warnings() {
		out.warnings = append(out.warnings, fmt.Sprintf("prometheus %s: %s: %s", shown, n.Metric, w))
	}
	return out
}

// maxErrorDetail bounds the bytes of an HTTP error's body kept for its message.
const maxErrorDetail = 4 << 10

// queryRange runs one range query (POST, or GET when the server refuses POST, as
// client_golang does) and decodes its response as it is read, at most
// MaxResponseSize bytes of it. The response's warnings are returned with an error in the
// envelope; errors are *promv1.Error as client_golang gives them, a
// *responseTooLargeError, or the transport's.
func (p *Prometheus) queryRange(ctx context.Context, u *url.URL, query string, r promv1.Range, want map[string]bool) (*rangeResponse, error) {
	args := url.Values{}
	args.Set("query", query)
	args.Set("start", formatTime(r.Start))
	args.Set("end", formatTime(r.End))
	args.Set("step", strconv.FormatFloat(r.Step.Seconds(), 'f', -1, 64))
	encoded := args.Encode()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(encoded))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hreq.Header["Idempotency-Key"] = nil // retried on a network error, like a GET
	res, err := p.http.Do(hreq)
	if err != nil {
		return nil, err
	}
	if c := res.StatusCode; c == http.StatusForbidden || c == http.StatusMethodNotAllowed || c == http.StatusNotImplemented {
		drain(res)
		g := *u
		g.RawQuery = encoded
		if hreq, err = http.NewRequestWithContext(ctx, http.MethodGet, g.String(), nil); err != nil {
			return nil, err
		}
		if res, err = p.http.Do(hreq); err != nil {
			return nil, err
		}
	}
	defer drain(res)
	code := res.StatusCode
	apiError := code == http.StatusBadRequest || code == http.StatusUnprocessableEntity // JSON error bodies
	if code/100 != 2 && !apiError {
		detail, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorDetail))
		typ, msg := promv1.ErrBadResponse, fmt.Sprintf("bad response code %d", code)
		switch code / 100 {
		case 4:
			typ, msg = promv1.ErrClient, fmt.Sprintf("client error: %d", code)
		case 5:
			typ, msg = promv1.ErrServer, fmt.Sprintf("server error: %d", code)
		}
		return nil, &promv1.Error{Type: typ, Msg: msg, Detail: string(detail)}
	}
	body := &limitedReader{r: res.Body, left: p.opts.MaxResponseSize, limit: p.opts.MaxResponseSize}
	resp, err := decodeRange(body, p.cfg.label(), want)
	var tooLarge *responseTooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return nil, tooLarge
	case err != nil && ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		return nil, &promv1.Error{Type: promv1.ErrBadResponse, Msg: err.Error()}
	case resp.status == "error":
		return resp, &promv1.Error{Type: promv1.ErrorType(resp.errorType), Msg: resp.errMsg}
	case apiError:
		return resp, &promv1.Error{Type: promv1.ErrBadResponse, Msg: "inconsistent body for response code"}
	}
	return resp, nil
}

// formatTime is a time as the Prometheus API takes it: Unix seconds with a fraction.
func formatTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.Unix())+float64(t.Nanosecond())/1e9, 'f', -1, 64)
}

// drain reads a little of what is left of a response, so that its connection can be
// reused, and closes it.
func drain(res *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxErrorDetail))
	res.Body.Close()
}

// responseTooLargeError is a response longer than PrometheusOptions.MaxResponseSize.
type responseTooLargeError struct{ limit int64 }

func (e *responseTooLargeError) Error() string {
	return fmt.Sprintf("response larger than %s (%d bytes): raise --prometheus-max-response-size, or query fewer series or a shorter window",
		FormatSize(e.limit), e.limit)
}

// limitedReader reads at most limit bytes of r, then fails with a
// *responseTooLargeError — unless r ends exactly there.
type limitedReader struct {
	r           io.Reader
	left, limit int64
}

func (l *limitedReader) Read(b []byte) (int, error) {
	if l.left <= 0 {
		var one [1]byte
		if n, err := io.ReadFull(l.r, one[:]); n == 0 && errors.Is(err, io.EOF) {
			return 0, io.EOF
		}
		return 0, &responseTooLargeError{limit: l.limit}
	}
	if int64(len(b)) > l.left {
		b = b[:l.left]
	}
	n, err := l.r.Read(b)
	l.left -= int64(n)
	return n, err
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
