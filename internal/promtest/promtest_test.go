package promtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestWriteOpenMetrics(t *testing.T) {
	t0 := time.Unix(1700000000, 500_000_000)
	tests := []struct {
		name    string
		samples []Sample
		want    string
		wantErr string
	}{
		{
			name: "grouped by metric and series, in time order, escaped",
			samples: []Sample{
				{Metric: "b", Labels: map[string]string{"node": "n2"}, Value: 2, T: t0.Add(time.Second)},
				{Metric: "a", Labels: map[string]string{"x": `q"\` + "\n", "node": "n1"}, Value: 0.25, T: t0},
				{Metric: "b", Labels: map[string]string{"node": "n2"}, Value: 1, T: t0},
				{Metric: "b", Value: 1e21, T: t0},
			},
			want: `a{node="n1",x="q\"\\\n"} 0.25 1700000000.500` + "\n" +
				"b 1e+21 1700000000.500\n" +
				`b{node="n2"} 1 1700000000.500` + "\n" +
				`b{node="n2"} 2 1700000001.500` + "\n# EOF\n",
		},
		{name: "empty", want: "# EOF\n"},
		{name: "bad metric name", samples: []Sample{{Metric: "1x"}}, wantErr: `invalid metric name "1x"`},
		{name: "bad label name", samples: []Sample{{Metric: "x", Labels: map[string]string{"a-b": "1"}}}, wantErr: `invalid label name "a-b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			err := WriteOpenMetrics(&b, tt.samples)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}

// fakeTB records Skip and Fatal instead of ending the test.
type fakeTB struct {
	testing.TB
	skipped, fatal string
}

func (f *fakeTB) Helper()                           {}
func (f *fakeTB) Skip(args ...any)                  { f.skipped = fmt.Sprint(args...) }
func (f *fakeTB) Fatalf(format string, args ...any) { f.fatal = fmt.Sprintf(format, args...) }

func TestBinariesMissing(t *testing.T) {
	tests := []struct {
		require             string
		wantSkip, wantFatal bool
		wantInMessage       string
	}{
		{require: "", wantSkip: true, wantInMessage: "apt-get install --no-install-recommends prometheus"},
		{require: "1", wantFatal: true, wantInMessage: "NODEGUARDIAN_REQUIRE_PROMETHEUS=1 requires it"},
	}
	for _, tt := range tests {
		t.Run("require="+tt.require, func(t *testing.T) {
			t.Setenv(EnvBinary, "/nonexistent/prometheus")
			t.Setenv(EnvRequire, tt.require)
			f := &fakeTB{TB: t}
			Binaries(f)
			if (f.skipped != "") != tt.wantSkip || (f.fatal != "") != tt.wantFatal {
				t.Fatalf("skipped %q, fatal %q", f.skipped, f.fatal)
			}
			if msg := f.skipped + f.fatal; !strings.Contains(msg, tt.wantInMessage) || !strings.Contains(msg, "/nonexistent/prometheus") {
				t.Errorf("message %q lacks %q or the path", msg, tt.wantInMessage)
			}
		})
	}
}

// queryRange asks base for query over [start, end] and returns the result's values per
// series (by their "node" label).
func queryRange(t *testing.T, base, query string, start, end time.Time, step time.Duration) map[string][][2]any {
	t.Helper()
	q := url.Values{
		"query": {query}, "start": {fmt.Sprint(start.Unix())}, "end": {fmt.Sprint(end.Unix())},
		"step": {fmt.Sprint(step.Seconds())},
	}
	resp, err := http.Get(base + "/api/v1/query_range?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r struct {
		Status string
		Data   struct {
			Result []struct {
				Metric map[string]string
				Values [][2]any
			}
		}
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Status != "success" {
		t.Fatalf("query %s: %v %s", query, err, body)
	}
	out := map[string][][2]any{}
	for _, s := range r.Data.Result {
		out[s.Metric["node"]] = s.Values
	}
	return out
}

func TestStartBackfillAndCount(t *testing.T) {
	now := time.Now().Truncate(time.Minute).Add(-10 * time.Minute)
	var samples []Sample
	for i := 0; i <= 4; i++ {
		samples = append(samples, Sample{Metric: "node_load1", Labels: map[string]string{"node": "n1"},
			Value: float64(i), T: now.Add(time.Duration(i-4) * 15 * time.Second)})
	}
	srv := Start(t, Options{Samples: samples})
	got := queryRange(t, srv.URL, "node_load1", now.Add(-time.Minute), now, 15*time.Second)
	want := fmt.Sprint([][2]any{
		{float64(now.Add(-time.Minute).Unix()), "0"}, {float64(now.Add(-45 * time.Second).Unix()), "1"},
		{float64(now.Add(-30 * time.Second).Unix()), "2"}, {float64(now.Add(-15 * time.Second).Unix()), "3"},
		{float64(now.Unix()), "4"},
	})
	if fmt.Sprint(got["n1"]) != want {
		t.Errorf("n1 = %v, want %v", got["n1"], want)
	}
	if n := srv.QueryCount("/api/v1/query_range"); n != 1 {
		t.Errorf("QueryCount = %d, want 1", n)
	}
	srv.Stop()
	resp, err := http.Get(srv.URL + "/api/v1/query?query=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("after Stop the proxy answered %d, want 502", resp.StatusCode)
	}
}

func TestScrapeAndAuthorization(t *testing.T) {
	t.Parallel() // mostly waits for Prometheus' first scrape (service discovery updates every 5s)
	exp := NewExporter(t, "node_load1{node=\"live\"} 2.5\n")
	srv := Start(t, Options{ScrapeTargets: []string{exp.Addr()}, Authorization: "Bearer s3cret"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/query?query=node_load1", nil)
		req.Header.Set("Authorization", "Bearer s3cret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), `"live"`) && strings.Contains(string(body), `"2.5"`) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if ctx.Err() != nil || exp.Scrapes() == 0 {
		t.Fatalf("the scraped value never showed up (%d scrapes)", exp.Scrapes())
	}
	resp, err := http.Get(srv.URL + "/api/v1/query?query=node_load1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without credentials: %d, want 401", resp.StatusCode)
	}
	auths := srv.Authorizations()
	if len(auths) < 2 || auths[0] != "Bearer s3cret" || auths[len(auths)-1] != "" {
		t.Errorf("Authorizations = %q", auths)
	}
}
