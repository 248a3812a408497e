package metrics

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/nodeguardian/nodeguardian/internal/redact"
	"github.com/nodeguardian/nodeguardian/internal/series"
)

// The sources a Router reads.
const (
	SourcePrometheus    = "prometheus"
	SourceMetricsServer = "metrics-server"
)

// RouterOptions say which sources a Router reaches.
type RouterOptions struct {
	// Default serves the rules without a source of their own (no
	// monitoring.metricsSource): SourcePrometheus ("" too) or SourceMetricsServer.
	Default string
	// Prometheus are the options every Prometheus is read with. Its URL is the default
	// Prometheus ("" = none); a rule's prometheusURL is queried with the same auth,
	// timeout, range and size bound.
	Prometheus PrometheusOptions
	// MetricsServer serves the rules with useMetricsServer, and the default when
	// Default is SourceMetricsServer: a *MetricsServer, or a *Window around one. nil:
	// no metrics-server — the metrics of those rules are Unknown, never read elsewhere.
	MetricsServer Source
	// Config is the node label and query overrides of every Prometheus.
	Config Config
}

// Router is a Source that reads each Need from the source its rules ask for:
// metrics-server for Needs with MetricsServer, the Prometheus at the Need's URL for
// Needs with one, the default source for the others. The sources are read at the same
// time; their samples are stored under each Need's series name (Need.SeriesName), so
// that rules reading one metric from two sources each read their own source's samples.
// It is safe for concurrent use.
type Router struct {
	opts RouterOptions
	mu   sync.Mutex
	prom map[string]*Prometheus // by normalized URL, built on first use
}

// NewRouter checks the options and returns a Router. The default Prometheus, when
// there is one, is checked as NewPrometheus checks it; nothing is queried yet.
func NewRouter(opts RouterOptions) (*Router, error) {
	switch opts.Default {
	case "":
		opts.Default = SourcePrometheus
	case SourcePrometheus, SourceMetricsServer:
	default:
		return nil, fmt.Errorf("metrics: unknown default source %q (want %s or %s)", opts.Default, SourcePrometheus, SourceMetricsServer)
	}
	if err := opts.Config.Validate(); err != nil {
		return nil, fmt.Errorf("metrics config: %w", err)
	}
	r := &Router{opts: opts, prom: map[string]*Prometheus{}}
	if opts.Prometheus.URL != "" {
		if _, err := r.prometheus(normalURL(opts.Prometheus.URL), opts.Prometheus.URL); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// NeedsNodes reports whether some Need of req is read from metrics-server, which reads
// the fleet's node names (Request.Nodes).
func (r *Router) NeedsNodes(req Request) bool {
	for _, n := range req.Needs {
		if r.route(n).metricsServer {
			return true
		}
	}
	return false
}

// routeKey is one source: metrics-server, or one Prometheus by normalized URL ("" =
// the default Prometheus when none is configured).
type routeKey struct {
	metricsServer bool
	url           string
}

// rawURL is the URL of a Need's Prometheus as written.
func (r *Router) rawURL(n Need) string {
	if u := strings.TrimSpace(n.URL); u != "" {
		return u
	}
	return r.opts.Prometheus.URL
}

// route is the source a Need is read from.
func (r *Router) route(n Need) routeKey {
	switch {
	case n.MetricsServer:
		return routeKey{metricsServer: true}
	case strings.TrimSpace(n.URL) != "":
		return routeKey{url: normalURL(n.URL)}
	case r.opts.Default == SourceMetricsServer:
		return routeKey{metricsServer: true}
	}
	return routeKey{url: normalURL(r.opts.Prometheus.URL)}
}

// normalURL is a Prometheus URL as routes compare it.
func normalURL(u string) string { return strings.TrimRight(strings.TrimSpace(u), "/") }

// group is the Needs one source serves.
type group struct {
	key   routeKey
	needs []Need
}

// Fetch reads every source the Needs ask for, at the same time, and merges what they
// give under the Needs' series names. A source that fails or is not configured makes
// its Needs' series Unknown (Data.Errors, a warning), never read from another source.
// Fetch itself fails only on an invalid request or when ctx ends.
func (r *Router) Fetch(ctx context.Context, req Request) (Result, error) {
	if err := checkRequest(req); err != nil {
		return Result{}, err
	}
	groups, conflicts := r.groups(req.Needs)
	outs := make([]Result, len(groups))
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for i := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = r.fetchGroup(ctx, groups[i], req)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Result{}, err
	}
	res := Result{Data: newData()}
	for _, o := range outs {
		res.Warnings = append(res.Warnings, o.Warnings...)
		for m, e := range o.Data.Errors {
			res.Data.Errors[m] = e
		}
		for _, m := range o.Failed {
			res.addFailed(m)
		}
		for node, byName := range o.Data.Samples {
			for name, s := range byName { // series names are the sources' own: no two give one
				put(res.Data, node, name, s)
			}
		}
	}
	for _, name := range sortedKeys(conflicts) {
		res.Data.Errors[name] = conflicts[name]
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %s; its conditions are Unknown", name, conflicts[name]))
	}
	return res, nil
}

// groups sorts the Needs by source, in a stable order. A series name that two sources
// would serve (two Prometheus URLs that differ only in credentials, which series names
// mask) is returned in conflicts (series → why) instead.
func (r *Router) groups(needs []Need) (groups []group, conflicts map[string]string) {
	idx := map[routeKey]int{}
	owner := map[string]routeKey{}
	for _, n := range needs {
		k := r.route(n)
		name := n.SeriesName()
		if o, seen := owner[name]; seen && o != k {
			if conflicts == nil {
				conflicts = map[string]string{}
			}
			conflicts[name] = "rules read it from two Prometheus servers whose URLs differ only in their credentials; give them one URL"
			continue
		}
		owner[name] = k
		i, ok := idx[k]
		if !ok {
			i = len(groups)
			idx[k] = i
			groups = append(groups, group{key: k})
		}
		groups[i].needs = append(groups[i].needs, n)
	}
	for i := range groups {
		groups[i].needs = slices.DeleteFunc(groups[i].needs, func(n Need) bool { _, bad := conflicts[n.SeriesName()]; return bad })
	}
	groups = slices.DeleteFunc(groups, func(g group) bool { return len(g.needs) == 0 })
	sort.Slice(groups, func(i, j int) bool {
		a, b := groups[i].key, groups[j].key
		if a.metricsServer != b.metricsServer {
			return b.metricsServer
		}
		return a.url < b.url
	})
	return groups, conflicts
}

// fetchGroup reads one source's Needs and names their samples by series.
func (r *Router) fetchGroup(ctx context.Context, g group, req Request) (Result, error) {
	var src Source
	if g.key.metricsServer {
		if r.opts.MetricsServer == nil {
			return unserved(g.needs, "metrics-server", "no metrics-server configured"), nil
		}
		src = r.opts.MetricsServer
	} else {
		if g.key.url == "" {
			return unserved(g.needs, "prometheus", "no Prometheus URL configured"), nil
		}
		p, err := r.prometheus(g.key.url, r.rawURL(g.needs[0]))
		if err != nil {
			return unserved(g.needs, "prometheus "+redact.URL(g.key.url), strings.TrimPrefix(err.Error(), "prometheus: ")), nil
		}
		src = p
	}
	inner := req
	inner.Needs = make([]Need, len(g.needs))
	for i, n := range g.needs { // one source: its Needs are keyed by metric
		inner.Needs[i] = Need{Metric: n.Metric, Query: n.Query, Window: n.Window}
	}
	res, err := src.Fetch(ctx, inner)
	if err != nil {
		return Result{}, err
	}
	return renamed(res, g.needs), nil
}

// unserved is the result of Needs whose source cannot be reached: Unknown, with a
// warning naming the source (shown).
func unserved(needs []Need, shown, msg string) Result {
	res := Result{Data: newData()}
	seen := map[string]bool{}
	for _, n := range needs {
		name := n.SeriesName()
		if seen[name] {
			continue
		}
		seen[name] = true
		res.Data.Errors[name] = fmt.Sprintf("%s: %s", shown, msg)
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %s: %s; its conditions are Unknown", shown, name, msg))
	}
	return res
}

// renamed is one source's result (keyed by metric) keyed by the Needs' series names.
func renamed(in Result, needs []Need) Result {
	out := Result{Data: newData(), Warnings: in.Warnings}
	names := map[string][]string{} // metric → series names
	for _, n := range needs {
		if name := n.SeriesName(); !slices.Contains(names[n.Metric], name) {
			names[n.Metric] = append(names[n.Metric], name)
		}
	}
	if in.Data == nil {
		in.Data = &series.Data{}
	}
	for metric, ns := range names {
		msg, failed := in.Data.Errors[metric]
		for _, name := range ns {
			if failed {
				out.Data.Errors[name] = msg
			}
			if slices.Contains(in.Failed, metric) {
				out.addFailed(name)
			}
		}
	}
	for node, byMetric := range in.Data.Samples {
		for metric, s := range byMetric {
			for i, name := range names[metric] {
				if i > 0 {
					s = slices.Clone(s) // no two series share an array
				}
				put(out.Data, node, name, s)
			}
		}
	}
	return out
}

// put sets a node's samples of one series (in time order, as sources give them).
func put(d *series.Data, node, name string, s []series.Sample) {
	if len(s) == 0 {
		return
	}
	m := d.Samples[node]
	if m == nil {
		m = map[string][]series.Sample{}
		d.Samples[node] = m
	}
	m[name] = s
}

// prometheus is the source of one Prometheus (key: its normalized URL), built on first
// use from its URL as written (raw) and the router's options. Rules name few servers:
// the sources are kept for the router's life.
func (r *Router) prometheus(key, raw string) (*Prometheus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.prom[key]; ok {
		return p, nil
	}
	opts := r.opts.Prometheus
	opts.URL = raw
	p, err := NewPrometheus(opts, r.opts.Config)
	if err != nil {
		return nil, err
	}
	r.prom[key] = p
	return p, nil
}

// newData is an empty series.Data with its maps.
func newData() *series.Data {
	return &series.Data{Samples: map[string]map[string][]series.Sample{}, Errors: map[string]string{}}
}

// NodesNeeder is a Source that can tell whether it reads the fleet's node names
// (Request.Nodes) for a request.
type NodesNeeder interface {
	NeedsNodes(req Request) bool
}

// NeedsNodes reports whether src reads req.Nodes, so that a caller lists the nodes
// before fetching; a source that does not say (no NodesNeeder) is assumed to. Without
// them, a source returns samples of every node it sees and the caller drops the others.
func NeedsNodes(src Source, req Request) bool {
	if n, ok := src.(NodesNeeder); ok {
		return n.NeedsNodes(req)
	}
	return true
}

// NeedsNodes is false: one query reads every node at once.
func (p *Prometheus) NeedsNodes(Request) bool { return false }

// NeedsNodes is true: node names bound the kubelet requests.
func (m *MetricsServer) NeedsNodes(Request) bool { return true }
