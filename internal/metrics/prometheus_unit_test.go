package metrics

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

// fakeProm answers every request with body (a Prometheus API response), or hangs until
// the client gives up when body is "".
func fakeProm(t *testing.T, body string) string {
	t.Helper()
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if body == "" {
			select {
			case <-r.Context().Done():
			case <-stop:
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) }) // runs first: releases a hanging handler
	return srv.URL
}

func TestPrometheusResponses(t *testing.T) {
	now := time.Unix(1700000000, 0)
	matrix := func(values string) string {
		return `{"status":"success","warnings":["partial response: store down"],"data":{"resultType":"matrix","result":[` +
			`{"metric":{"node":"n1"},"values":` + values + `}]}}`
	}
	tests := []struct {
		name         string
		body         string
		timeout      time.Duration
		wantSamples  int
		wantError    string
		wantWarnings []string
	}{
		{
			name: "Prometheus warnings are passed on", body: matrix(`[[1699999985,"1"],[1700000000,"2"]]`), wantSamples: 2,
			wantWarnings: []string{"m: partial response: store down"},
		},
		{
			name: "NaN and Inf are missing samples", body: matrix(`[[1699999970,"NaN"],[1699999985,"+Inf"],[1700000000,"2"]]`), wantSamples: 1,
			wantWarnings: []string{"m: partial response: store down", "m: 2 NaN or infinite samples treated as missing"},
		},
		{
			name: "timeout", timeout: 100 * time.Millisecond, wantError: "query failed: timed out after 100ms",
			wantWarnings: []string{"m: query failed: timed out after 100ms; its conditions are Unknown"},
		},
		{
			name: "not a matrix", body: `{"status":"success","data":{"resultType":"vector","result":[]}}`,
			wantError:    "query returned a vector, want a range vector",
			wantWarnings: []string{"m: query returned a vector, want a range vector; its conditions are Unknown"},
		},
		{
			name: "not JSON", body: `<html>`, wantError: "query failed: bad_response",
			wantWarnings: []string{"m: query failed: bad_response"},
		},
		{
			name: "series of other nodes only", body: `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"node":"10.1.2.3"},"values":[[1700000000,"1"]]}]}}`,
			wantWarnings: []string{`m: none of the 1 series names a node of the fleet (e.g. node="10.1.2.3"); check the node label`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProm(t, PrometheusOptions{URL: fakeProm(t, tt.body), Timeout: tt.timeout}, DefaultConfig())
			res, err := p.Fetch(context.Background(), Request{Needs: []Need{{Metric: "m", Query: "q"}}, Now: now, Step: MinStep, Nodes: []string{"n1"}})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(res.Data.Get("n1", "m")); got != tt.wantSamples {
				t.Errorf("%d samples, want %d", got, tt.wantSamples)
			}
			if e := res.Data.Errors["m"]; (tt.wantError == "") != (e == "") || !strings.Contains(e, tt.wantError) {
				t.Errorf("error %q, want %q", e, tt.wantError)
			}
			if failed := strings.Join(res.Failed, ","); (tt.wantError != "") != (failed == "m") {
				t.Errorf("Failed = %q: every error here is a failed read", res.Failed)
			}
			if len(res.Warnings) != len(tt.wantWarnings) {
				t.Fatalf("warnings %q, want %q", res.Warnings, tt.wantWarnings)
			}
			for i, w := range tt.wantWarnings {
				if !strings.Contains(res.Warnings[i], w) || !strings.HasPrefix(res.Warnings[i], "prometheus http://127.0.0.1:") {
					t.Errorf("warning %q, want %q", res.Warnings[i], w)
				}
			}
		})
	}
}

func TestFetchRequestChecks(t *testing.T) {
	p := newProm(t, PrometheusOptions{URL: "http://127.0.0.1:1"}, DefaultConfig())
	now := time.Now()
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"no time", Request{Step: MinStep}, "no evaluation time"},
		{"no step", Request{Now: now}, "step must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := p.Fetch(context.Background(), tt.req); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := p.Fetch(ctx, Request{Now: now, Step: MinStep, Needs: []Need{{Metric: "a", Query: "x"}}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: err = %v, want context.Canceled", err)
	}
}

func TestQueryRange(t *testing.T) {
	end := time.Unix(1700000000, 0)
	tests := []struct {
		name     string
		window   time.Duration
		step     time.Duration
		minRange time.Duration
		want     time.Duration // end - start
	}{
		{"duration 0: at least two steps back", 0, time.Minute, 0, 2 * time.Minute},
		{"min range", 0, 15 * time.Second, 5 * time.Minute, 5 * time.Minute},
		{"window on the grid", 10 * time.Minute, 15 * time.Second, 5 * time.Minute, 10 * time.Minute},
		{"window off the grid rounds up", 45 * time.Second, 30 * time.Second, 0, time.Minute},
		{"min range off the grid rounds up", 0, 7 * time.Second, 20 * time.Second, 21 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := queryRange(Need{Window: tt.window}, end, tt.step, tt.minRange)
			if !r.End.Equal(end) || r.Step != tt.step || end.Sub(r.Start) != tt.want {
				t.Errorf("range %s…%s step %s, want %s back", r.Start, r.End, r.Step, tt.want)
			}
		})
	}
}

func TestNodeName(t *testing.T) {
	tests := []struct{ label, value, want string }{
		{"node", "node-1:9100", "node-1:9100"},
		{"instance", "node-1:9100", "node-1"},
		{"instance", "10.0.0.7:9100", "10.0.0.7"},
		{"instance", "[fd00::7]:9100", "fd00::7"},
		{"instance", "node-1", "node-1"},
		{"kubernetes_node", "node-10", "node-10"},
	}
	for _, tt := range tests {
		if got := NodeName(tt.label, tt.value); got != tt.want {
			t.Errorf("NodeName(%s, %s) = %s, want %s", tt.label, tt.value, got, tt.want)
		}
	}
}

func TestMapSeriesDuplicates(t *testing.T) {
	s := func(node string, v float64) *model.SampleStream {
		return &model.SampleStream{Metric: model.Metric{"instance": model.LabelValue(node)}, Values: []model.SamplePair{{Timestamp: 1000, Value: model.SampleValue(v)}}}
	}
	m := mapSeries(model.Matrix{s("a:1", 1), s("a:2", 2), s("b:1", 3), s("c:1", 4)}, LabelInstance, map[string]bool{"a": true, "b": true})
	if _, ok := m.samples["a"]; ok || len(m.samples["b"]) != 1 || m.samples["b"][0].V != 3 {
		t.Errorf("samples %v: a has two series (none kept, never summed), b one", m.samples)
	}
	if len(m.dups) != 1 || m.dups[0] != "a" || m.foreign != 1 {
		t.Errorf("dups %v, foreign %d", m.dups, m.foreign)
	}
}

func TestPrometheusSameMetricTwice(t *testing.T) {
	var queries []string // one query at a time: each case needs at most one
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		queries = append(queries, r.Form.Get("query")+" from "+r.Form.Get("start"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"matrix","result":[]}}`))
	}))
	t.Cleanup(srv.Close)
	other := closedURL(t)
	now := time.Unix(1700000000, 0)
	tests := []struct {
		name        string
		needs       []Need
		wantQueries []string
		wantError   string
	}{
		{
			name:        "an override naming the default Prometheus is the default",
			needs:       []Need{{Metric: "m", Query: "q", Window: time.Minute}, {Metric: "m", Query: "q ", URL: srv.URL + "/", Window: 10 * time.Minute}},
			wantQueries: []string{"q from 1699999400"},
		},
		{
			name:        "two Prometheus servers",
			needs:       []Need{{Metric: "m", Query: "q"}, {Metric: "m", Query: "q", URL: other}, {Metric: "n", Query: "q"}},
			wantQueries: []string{"q from 1699999700"},
			wantError:   "prometheus: rules read it from " + min(srv.URL, other) + " and " + max(srv.URL, other) + "; samples are keyed by metric name",
		},
		{
			name:        "two queries",
			needs:       []Need{{Metric: "m", Query: "q"}, {Metric: "m", Query: "r"}},
			wantError:   "prometheus: rules read it with two different queries",
			wantQueries: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			queries = nil
			p := newProm(t, PrometheusOptions{URL: srv.URL}, DefaultConfig())
			res, err := p.Fetch(context.Background(), Request{Needs: tt.needs, Now: now, Step: MinStep})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(queries, "|") != strings.Join(tt.wantQueries, "|") {
				t.Errorf("queries %q, want %q", queries, tt.wantQueries)
			}
			if e := res.Data.Errors["m"]; !strings.HasPrefix(e, tt.wantError) || (tt.wantError == "") != (e == "") {
				t.Errorf("Errors[m] = %q, want %q…", e, tt.wantError)
			}
			if len(res.Failed) != 0 {
				t.Errorf("Failed = %q: rules reading a metric two ways is no failed read", res.Failed)
			}
			if tt.wantError != "" && (len(res.Warnings) != 1 || !strings.HasSuffix(res.Warnings[0], "; its conditions are Unknown")) {
				t.Errorf("warnings %q", res.Warnings)
			}
		})
	}
}
