package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/nodeguardian/nodeguardian/internal/series"
)

// summary is the part of the kubelet Summary API (/stats/summary) NodeGuardian reads.
type summary struct {
	Node struct {
		NodeName string `json:"nodeName"`
		Fs       *struct {
			Time          time.Time `json:"time"`
			CapacityBytes *uint64   `json:"capacityBytes"`
			UsedBytes     *uint64   `json:"usedBytes"`
		} `json:"fs"`
	} `json:"node"`
}

// diskResult is one node's disk utilization, or why there is none.
type diskResult struct {
	node   string
	sample series.Sample
	err    error
}

// fetchDisk reads each wanted node's Summary through the API server's node proxy, at most
// Concurrency at once. A node whose summary fails is Unknown, with a warning; when every
// node fails the metric goes to Data.Errors.
func (m *MetricsServer) fetchDisk(ctx context.Context, req Request, n Need, nodes []string, res *Result) {
	if len(nodes) == 0 {
		return
	}
	jobs := make(chan string)
	results := make([]diskResult, 0, len(nodes))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(m.opts.Concurrency, len(nodes)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for node := range jobs {
				s, err := m.nodeDisk(ctx, node)
				mu.Lock()
				results = append(results, diskResult{node: node, sample: s, err: err})
				mu.Unlock()
			}
		}()
	}
	for _, node := range nodes {
		jobs <- node
	}
	close(jobs)
	wg.Wait()
	sort.Slice(results, func(i, j int) bool { return results[i].node < results[j].node })
	var failed []string
	var firstErr error
	for _, r := range results {
		if r.err != nil {
			failed = append(failed, r.node)
			if firstErr == nil {
				firstErr = r.err
			}
			continue
		}
		res.Data.Add(r.node, n.Metric, fill(r.sample, req.Now, n.Window, req.Step)...)
	}
	switch {
	case len(failed) == len(nodes):
		m.failSource(res, n.Metric, "kubelet summary API failed on every node: "+firstErr.Error())
	case len(failed) > 0:
		res.Warnings = append(res.Warnings, fmt.Sprintf("metrics-server: %s: kubelet summary failed for node %s (e.g. %v); Unknown there",
			n.Metric, nameList(failed), firstErr))
	}
}

// nodeDisk is one node's root filesystem utilization from its kubelet Summary.
func (m *MetricsServer) nodeDisk(ctx context.Context, node string) (series.Sample, error) {
	ctx, cancel := context.WithTimeout(ctx, m.opts.Timeout)
	defer cancel()
	result := m.core.CoreV1().RESTClient().Get().
		Resource("nodes").Name(node).SubResource("proxy").Suffix("stats", "summary").
		Do(ctx)
	raw, err := result.Raw()
	if err != nil {
		err = result.Error() // the API server's Status message, when it sent one
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return series.Sample{}, fmt.Errorf("%s: timed out after %s", node, m.opts.Timeout)
		}
		return series.Sample{}, fmt.Errorf("%s: %w", node, err)
	}
	var s summary
	if err := json.Unmarshal(raw, &s); err != nil {
		return series.Sample{}, fmt.Errorf("%s: decoding the summary: %w", node, err)
	}
	fs := s.Node.Fs
	if fs == nil || fs.CapacityBytes == nil || fs.UsedBytes == nil || *fs.CapacityBytes == 0 || fs.Time.IsZero() {
		return series.Sample{}, fmt.Errorf("%s: the summary has no node.fs time, usedBytes and capacityBytes", node)
	}
	return series.Sample{T: fs.Time.UTC(), V: 100 * float64(*fs.UsedBytes) / float64(*fs.CapacityBytes)}, nil
}
