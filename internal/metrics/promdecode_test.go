package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

// twoPass decodes a response the way client_golang did before the one-pass decoder:
// the envelope, then data into a model.Matrix, then mapSeries.
func twoPass(body []byte, label string, want map[string]bool) (mapped, string, error) {
	var env struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return mapped{}, "", err
	}
	var data struct {
		ResultType string       `json:"resultType"`
		Result     model.Matrix `json:"result"`
	}
	if err := json.Unmarshal(env.Data, &data); err != nil {
		return mapped{}, "", err
	}
	return mapSeries(data.Result, label, want), data.ResultType, nil
}

// TestDecodeRangeMatchesTwoPass: the one-pass decoder maps every response exactly as
// decoding a model.Matrix and mapping it does.
func TestDecodeRangeMatchesTwoPass(t *testing.T) {
	tests := []struct {
		name, label, result string
		want                map[string]bool
	}{
		{"plain", "node", `[{"metric":{"node":"n1"},"values":[[1700000000,"1"],[1700000015,"2.5"]]}]`, nil},
		{"NaN and Inf dropped and counted", "node",
			`[{"metric":{"node":"n1"},"values":[[1700000000,"NaN"],[1700000015,"+Inf"],[1700000030,"-Inf"],[1700000045,"3"]]}]`, nil},
		{"fractional and truncated timestamps", "node",
			`[{"metric":{"node":"n1"},"values":[[1700000000.1,"1"],[1700000000.12,"1"],[1700000000.1239,"1"],[-1.5,"1"]]}]`, nil},
		{"duplicate series: none kept", "node",
			`[{"metric":{"node":"n1"},"values":[[1,"1"]]},{"metric":{"node":"n1","job":"b"},"values":[[1,"2"]]},{"metric":{"node":"n2"},"values":[[1,"3"]]}]`, nil},
		{"no node label, foreign nodes", "node",
			`[{"metric":{"__name__":"up","job":"x"},"values":[[1,"1"]]},{"metric":{"node":"n9"},"values":[[1,"1"]]},{"metric":{"node":"n1"},"values":[[1,"1"]]}]`,
			map[string]bool{"n1": true}},
		{"only foreign nodes", "node", `[{"metric":{"node":"10.0.0.1"},"values":[[1,"1"]]}]`, map[string]bool{"n1": true}},
		{"instance port stripped", LabelInstance,
			`[{"metric":{"instance":"n1:9100"},"values":[[1,"1"]]},{"metric":{"instance":"[fd00::7]:9100"},"values":[[1,"2"]]}]`, nil},
		{"escapes, key order, histograms, whitespace", "node",
			"[ {\"values\" : [ [ 1 , \"1\" ] ],\n \"histograms\": [[1, {\"count\":\"1\",\"buckets\":[[0,\"1\",\"2\",\"3\"]]}]], \"metric\" : {\"a\\\"b\":\"}\", \"node\":\"n\\u00e9\"} } ]", nil},
		{"empty metric and values", "node", `[{"metric":{},"values":[]},{"metric":{"node":"n1"}}]`, nil},
		{"empty result", "node", `[]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"status":"success","data":{"resultType":"matrix","result":` + tt.result + `}}`
			want, _, err := twoPass([]byte(body), tt.label, tt.want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeRange(strings.NewReader(body), tt.label, tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.mapped, want) {
				t.Errorf("one pass:\n%+v\ntwo passes:\n%+v", got.mapped, want)
			}
			if !reflect.DeepEqual(got.mapped.warnings(), want.warnings()) {
				t.Errorf("warnings %q, want %q", got.mapped.warnings(), want.warnings())
			}
		})
	}
}

// TestDecodeRangeEnvelope: status, errors and warnings of the envelope, in any order.
func TestDecodeRangeEnvelope(t *testing.T) {
	tests := []struct {
		name, body                    string
		status, errType, msg, resType string
		warnings                      []string
		wantErr                       string
	}{
		{name: "error envelope", body: `{"status":"error","errorType":"bad_data","error":"parse error at char 3"}`,
			status: "error", errType: "bad_data", msg: "parse error at char 3"},
		{name: "data before status, warnings, infos", body: `{"data":{"result":[],"resultType":"matrix"},"infos":["i"],"warnings":["w1","w2"],"status":"success"}`,
			status: "success", resType: "matrix", warnings: []string{"w1", "w2"}},
		{name: "a vector is not decoded", body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"node":"n1"},"value":[1,"1"]}]}}`,
			status: "success", resType: "vector"},
		{name: "a scalar is not decoded", body: `{"status":"success","data":{"resultType":"scalar","result":[1,"1"]}}`,
			status: "success", resType: "scalar"},
		{name: "null data", body: `{"status":"error","data":null,"errorType":"timeout","error":"query timed out"}`,
			status: "error", errType: "timeout", msg: "query timed out"},
		{name: "not JSON", body: `<html>`, wantErr: "invalid character"},
		{name: "truncated", body: `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"node":"n1"},"values":[[1,"1"]`, wantErr: "EOF"},
		{name: "trailing data", body: `{"status":"success"} {}`, wantErr: "data after the response object"},
		{name: "bad sample value", body: `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"node":"n1"},"values":[[1,1]]}]}}`,
			wantErr: "sample value must be a quoted string"},
		{name: "bad sample time", body: `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"node":"n1"},"values":[[1e9,"1"]]}]}}`,
			wantErr: "sample time 1e9"},
		{name: "series not an object", body: `{"status":"success","data":{"resultType":"matrix","result":[[1,"1"]]}}`,
			wantErr: "a series is not an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeRange(strings.NewReader(tt.body), "node", nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.status != tt.status || got.errorType != tt.errType || got.errMsg != tt.msg || got.resultType != tt.resType ||
				!reflect.DeepEqual(got.warnings, tt.warnings) || len(got.mapped.samples) != 0 {
				t.Errorf("got %+v", got)
			}
		})
	}
}

// hugeProm serves a matrix response that never ends (or ends after total bytes), written
// lazily, and counts the bytes it managed to write.
func hugeProm(t *testing.T, total int64, written *atomic.Int64) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		head := `{"status":"success","data":{"resultType":"matrix","result":[`
		n, err := w.Write([]byte(head))
		written.Add(int64(n))
		chunk := []byte(strings.Repeat(`{"metric":{"node":"n1"},"values":[[1700000000,"1"]]},`, 1000))
		for err == nil && (total < 0 || written.Load() < total) {
			n, err = w.Write(chunk)
			written.Add(int64(n))
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestPrometheusResponseTooLarge: a 200 MiB response costs the bound, not 200 MiB: the
// client stops reading past it, and the metric is Unknown with a warning naming the
// limit and the flag.
func TestPrometheusResponseTooLarge(t *testing.T) {
	const limit = 1 << 20
	var written atomic.Int64
	url := hugeProm(t, 200<<20, &written)
	p := newProm(t, PrometheusOptions{URL: url, MaxResponseSize: limit}, DefaultConfig())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := p.Fetch(context.Background(), Request{Needs: []Need{{Metric: "m", Query: "q"}}, Now: time.Unix(1700000000, 0), Step: MinStep})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if e := res.Data.Errors["m"]; !strings.Contains(e, "query failed: response larger than 1Mi (1048576 bytes): raise --prometheus-max-response-size") {
		t.Errorf("Errors[m] = %q", e)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "--prometheus-max-response-size") || !strings.HasSuffix(res.Warnings[0], "its conditions are Unknown") {
		t.Errorf("warnings %q", res.Warnings)
	}
	if len(res.Failed) != 1 || res.Failed[0] != "m" {
		t.Errorf("Failed = %q", res.Failed)
	}
	if res.Data.Get("n1", "m") != nil {
		t.Error("samples of a response cut short")
	}
	// The server wrote what the connection's buffers took, far less than 200 MiB; the
	// client allocated a few times the bound at most (the decoder's buffer and samples).
	if w := written.Load(); w > 32<<20 {
		t.Errorf("server wrote %d bytes: the client did not stop reading", w)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 16*limit {
		t.Errorf("allocated %d bytes for a %d-byte bound", got, limit)
	}
}

// TestLimitedReader: exactly the bound is read whole; one byte more is an error.
func TestLimitedReader(t *testing.T) {
	for _, tt := range []struct {
		size    int
		wantErr bool
	}{{99, false}, {100, false}, {101, true}, {10000, true}} {
		t.Run(fmt.Sprint(tt.size), func(t *testing.T) {
			r := &limitedReader{r: bytes.NewReader(make([]byte, tt.size)), left: 100, limit: 100}
			var buf bytes.Buffer
			_, err := buf.ReadFrom(r)
			var tooLarge *responseTooLargeError
			if errors.As(err, &tooLarge) != tt.wantErr || (err != nil && !tt.wantErr) {
				t.Fatalf("error %v, want too large: %v", err, tt.wantErr)
			}
			if buf.Len() > 100 {
				t.Errorf("read %d bytes past the bound", buf.Len())
			}
		})
	}
}

// TestPrometheusHTTPErrors: HTTP errors read as client_golang reported them.
func TestPrometheusHTTPErrors(t *testing.T) {
	tests := []struct {
		name    string
		code    int
		body    string
		wantErr string
	}{
		{"5xx with a body", 503, "service unavailable\nmore", "query failed: server_error: server error: 503: service unavailable"},
		{"4xx", 404, "not found", "query failed: client_error: client error: 404: not found"},
		{"400 with an error envelope", 400, `{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\""}`,
			`query failed: bad_data: invalid parameter "query"`},
		{"422 with a success body", 422, `{"status":"success","data":{"resultType":"matrix","result":[]}}`,
			"query failed: bad_response: inconsistent body for response code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.code)
				_, _ = w.Write([]byte(tt.body))
			}))
			t.Cleanup(srv.Close)
			p := newProm(t, PrometheusOptions{URL: srv.URL}, DefaultConfig())
			res, err := p.Fetch(context.Background(), Request{Needs: []Need{{Metric: "m", Query: "q"}}, Now: time.Unix(1700000000, 0), Step: MinStep})
			if err != nil {
				t.Fatal(err)
			}
			if e := res.Data.Errors["m"]; !strings.Contains(e, tt.wantErr) || len(res.Failed) != 1 {
				t.Errorf("Errors[m] = %q, want %q; Failed %q", e, tt.wantErr, res.Failed)
			}
		})
	}
}

func TestPrometheusGETFallback(t *testing.T) {
	var methods []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		methods = append(methods, r.Method+" "+r.URL.Path+" "+r.FormValue("query"))
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"node":"n1"},"values":[[1700000000,"7"]]}]}}`))
	}))
	t.Cleanup(srv.Close)
	p := newProm(t, PrometheusOptions{URL: srv.URL + "/prom/"}, DefaultConfig())
	res, err := p.Fetch(context.Background(), Request{Needs: []Need{{Metric: "m", Query: "up"}}, Now: time.Unix(1700000000, 0), Step: MinStep})
	if err != nil {
		t.Fatal(err)
	}
	if s := res.Data.Get("n1", "m"); len(s) != 1 || s[0].V != 7 {
		t.Errorf("samples %v", s)
	}
	if want := "POST /prom/api/v1/query_range up|GET /prom/api/v1/query_range up"; strings.Join(methods, "|") != want {
		t.Errorf("requests %q, want %q", methods, want)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"64Mi", 64 << 20, false}, {"512MiB", 512 << 20, false}, {"1048576", 1 << 20, false}, {"1G", 1e9, false},
		{"2 Gi", 2 << 30, false}, {"100B", 100, false}, {"10k", 10000, false},
		{"", 0, true}, {"0", 0, true}, {"-1Mi", 0, true}, {"1.5Mi", 0, true}, {"64mb", 0, true}, {"9999999Ti", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	for n, want := range map[int64]string{64 << 20: "64Mi", 1536 << 10: "1536Ki", 1000: "1000", 2 << 30: "2Gi"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %s, want %s", n, got, want)
		}
	}
}

// rangeBody is a matrix of nodes series × samples samples, as Prometheus writes it.
func rangeBody(nodes, samples int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"status":"success","data":{"resultType":"matrix","result":[`)
	for i := range nodes {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"metric":{"node":"worker-%d"},"values":[`, i)
		for j := range samples {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `[%d,"%v"]`, 1700000000+15*j, 40+float64(i%600)/7.3+float64(j)/3)
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`]}}`)
	return b.Bytes()
}

// BenchmarkDecodeRange decodes a range response of 10,000 series × 20 samples into
// samples per node: in one pass (decodeRange), and the two-pass way it replaced
// (envelope, model.Matrix, mapSeries; client_golang also read the body into memory first).
func BenchmarkDecodeRange(b *testing.B) {
	body := rangeBody(10000, 20)
	want := map[string]bool{}
	for i := range 10000 {
		want[fmt.Sprintf("worker-%d", i)] = true
	}
	b.Logf("response: %d bytes", len(body))
	b.Run("one-pass", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := decodeRange(bytes.NewReader(body), "node", want); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("two-pass", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, _, err := twoPass(body, "node", want); err != nil {
				b.Fatal(err)
			}
		}
	})
}
