package metrics

import (
	"fmt"
	"strconv"
	"time"

	"github.com/nodeguardian/nodeguardian/internal/promtest"
)

// fleet is a synthetic node-exporter fleet: nodes node-0 … node-(n-1), a sample every
// interval over history, ending at now. Its expected values are known exactly.
type fleet struct {
	nodes    int
	now      time.Time
	interval time.Duration
	history  time.Duration
}

const (
	fleetCPUs     = 4
	memTotal      = 1e10
	fsSize        = 1e11
	gpuQuery      = `max by (node) (node_gpu_temp_celsius)`
	fleetInterval = 15 * time.Second
)

// name is node i's name.
func (f fleet) name(i int) string { return "node-" + strconv.Itoa(i) }

// steps is the number of sample positions; position k is at now-(steps-1-k)*interval.
func (f fleet) steps() int { return int(f.history/f.interval) + 1 }

func (f fleet) at(k int) time.Time {
	return f.now.Add(-time.Duration(f.steps()-1-k) * f.interval)
}

// k is the sample position of t.
func (f fleet) k(t time.Time) int { return f.steps() - 1 - int(f.now.Sub(t)/f.interval) }

// Expected values of node i at position k.
func (f fleet) load(i, k int) float64    { return 1 + float64(i)*0.01 + float64(k)*0.001 }
func (f fleet) memUsed(i, k int) float64 { return 3e9 + float64(i)*1e7 + float64(k)*1e6 }
func (f fleet) diskUsed(i int) float64   { return 5e10 + float64(i)*1e8 }
func (f fleet) idleRate(i int) float64   { return 0.5 + float64(i%40)*0.01 }
func (f fleet) gpuTemp(i int) float64    { return 40 + float64(i%50) }

func (f fleet) wantMemory(i, k int) float64 { return 100 * (1 - (memTotal-f.memUsed(i, k))/memTotal) }
func (f fleet) wantDisk(i int) float64      { return 100 * (1 - (fsSize-f.diskUsed(i))/fsSize) }
func (f fleet) wantLoad(i, k int) float64   { return f.load(i, k) / fleetCPUs }
func (f fleet) wantCPU(i int) float64       { return 100 * (1 - f.idleRate(i)) }

// samples are the fleet's node-exporter-like series (and a GPU temperature), labelled
// with node, instance (node:9100) and job.
func (f fleet) samples() []promtest.Sample {
	var out []promtest.Sample
	for i := 0; i < f.nodes; i++ {
		base := map[string]string{"node": f.name(i), "instance": f.name(i) + ":9100", "job": "node-exporter"}
		with := func(kv ...string) map[string]string {
			m := make(map[string]string, len(base)+len(kv)/2)
			for k, v := range base {
				m[k] = v
			}
			for j := 0; j+1 < len(kv); j += 2 {
				m[kv[j]] = kv[j+1]
			}
			return m
		}
		for k := 0; k < f.steps(); k++ {
			t := f.at(k)
			secs := float64(k) * f.interval.Seconds()
			add := func(metric string, labels map[string]string, v float64) {
				out = append(out, promtest.Sample{Metric: metric, Labels: labels, Value: v, T: t})
			}
			add("node_load1", with(), f.load(i, k))
			for c := 0; c < fleetCPUs; c++ {
				cpu := fmt.Sprint(c)
				add("node_cpu_seconds_total", with("cpu", cpu, "mode", "idle"), 1000+secs*f.idleRate(i))
				add("node_cpu_seconds_total", with("cpu", cpu, "mode", "user"), 500+secs*(1-f.idleRate(i)))
			}
			add("node_memory_MemTotal_bytes", with(), memTotal)
			add("node_memory_MemAvailable_bytes", with(), memTotal-f.memUsed(i, k))
			for _, fs := range []struct {
				mount string
				used  float64
			}{{"/", f.diskUsed(i)}, {"/boot", 1e9}} {
				add("node_filesystem_size_bytes", with("mountpoint", fs.mount, "fstype", "ext4"), fsSize)
				add("node_filesystem_avail_bytes", with("mountpoint", fs.mount, "fstype", "ext4"), fsSize-fs.used)
			}
			add("node_gpu_temp_celsius", with("gpu", "0"), f.gpuTemp(i))
			if i == 5 {
				// A second series for node-5 and one without the node label, for a custom
				// query that does not aggregate.
				add("raw_metric", with("gpu", "0"), 1)
				add("raw_metric", with("gpu", "1"), 2)
				add("raw_metric", map[string]string{"job": "orphan"}, 3)
			} else if i < 3 {
				add("raw_metric", with(), float64(i))
			}
		}
	}
	return out
}
