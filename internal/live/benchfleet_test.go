package live

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"

	"github.com/nodeguardian/nodeguardian/internal/cluster"
	"github.com/nodeguardian/nodeguardian/internal/promtest"
	"github.com/nodeguardian/nodeguardian/internal/testenv"
)

// This file holds what the live benchmarks share: a fleet of realistic nodes written
// through the API server, the CLI's client settings with a rate limiter that records
// client-side throttling, and the process's peak RSS.

// benchNodes reads a fleet size from the environment variable name (def when unset).
func benchNodes(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive number of nodes", name, s)
	}
	return n
}

// benchNodeName is the name of the i-th bench node.
func benchNodeName(i int) string { return fmt.Sprintf("node-%05d", i) }

// benchSamples is 15 minutes of three metrics per node every 15s, ending at now; the
// nodes hot says are hot (load 2, memory 96 %), the others quiet (load 0.4, memory 50 %).
func benchSamples(n int, now time.Time, hot func(i int) bool) []promtest.Sample {
	out := make([]promtest.Sample, 0, n*61*3)
	for i := range n {
		node := benchNodeName(i)
		load, mem := 0.4, 50.0
		if hot(i) {
			load, mem = 2, 96
		}
		for k := 0; k <= 60; k++ {
			at := now.Add(-time.Duration(60-k) * 15 * time.Second)
			out = append(out,
				promtest.Sample{Metric: "bench_load", Labels: map[string]string{"node": node}, Value: load, T: at},
				promtest.Sample{Metric: "bench_memory", Labels: map[string]string{"node": node}, Value: mem, T: at},
				promtest.Sample{Metric: "bench_disk", Labels: map[string]string{"node": node}, Value: 40, T: at})
		}
	}
	return out
}

// benchNode is the i-th node as a kubelet registers it: labels, annotations and spec.
// Its status is benchNodeStatus, written through the status subresource.
func benchNode(i int) *corev1.Node {
	name := benchNodeName(i)
	zone := fmt.Sprintf("eu-west-1%c", 'a'+rune(i%3))
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: name,
			Labels: map[string]string{
				"node-role.kubernetes.io/worker":   "true",
				"kubernetes.io/hostname":           name,
				"kubernetes.io/os":                 "linux",
				"kubernetes.io/arch":               "amd64",
				"node.kubernetes.io/instance-type": "m6i.2xlarge",
				"topology.kubernetes.io/region":    "eu-west-1",
				"topology.kubernetes.io/zone":      zone,
				"pool.example.com/name":            fmt.Sprintf("pool-%02d", i%10),
			},
			Annotations: map[string]string{
				"node.alpha.kubernetes.io/ttl":                           "0",
				"volumes.kubernetes.io/controller-managed-attach-detach": "true",
				"csi.volume.kubernetes.io/nodeid":                        fmt.Sprintf(`{"ebs.csi.aws.com":"i-%017x"}`, i),
			},
		},
		Spec: corev1.NodeSpec{
			PodCIDR:    fmt.Sprintf("10.%d.%d.0/24", 64+i/256%64, i%256),
			PodCIDRs:   []string{fmt.Sprintf("10.%d.%d.0/24", 64+i/256%64, i%256)},
			ProviderID: fmt.Sprintf("aws:///%s/i-%017x", zone, i),
		},
	}
}

// benchNodeStatus is a kubelet's status of node i: five conditions, addresses, capacity
// and allocatable, nodeInfo and 28 images with their names and sizes:
// about 9.5 KB as JSON once stored with its managedFields.
func benchNodeStatus(i int) corev1.NodeStatus {
	at := metav1.NewTime(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	cond := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason, msg string) corev1.NodeCondition {
		return corev1.NodeCondition{Type: t, Status: s, LastHeartbeatTime: at, LastTransitionTime: at, Reason: reason, Message: msg}
	}
	res := func(cpu, mem, pods, disk string) corev1.ResourceList {
		return corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem),
			corev1.ResourcePods: resource.MustParse(pods), corev1.ResourceEphemeralStorage: resource.MustParse(disk),
			"hugepages-1Gi": resource.MustParse("0"), "hugepages-2Mi": resource.MustParse("0"),
			"attachable-volumes-aws-ebs": resource.MustParse("25"),
		}
	}
	images := make([]corev1.ContainerImage, 28)
	for k := range images {
		repo := fmt.Sprintf("reg.example/svc-%02d", k)
		images[k] = corev1.ContainerImage{
			Names: []string{
				fmt.Sprintf("%s@sha256:%064x", repo, uint64(k)*0x9e3779b97f4a7c15+uint64(i)),
				fmt.Sprintf("%s:v1.%d.%d", repo, k, i%7),
			},
			SizeBytes: int64(20_000_000 + k*3_141_593),
		}
	}
	return corev1.NodeStatus{
		Capacity:    res("8", "32386524Ki", "110", "104845292Ki"),
		Allocatable: res("7910m", "31371740Ki", "110", "95551679785"),
		Phase:       corev1.NodeRunning,
		Conditions: []corev1.NodeCondition{
			cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
			cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
			cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
			cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "kubelet is posting ready status"),
			cond(corev1.NodeNetworkUnavailable, corev1.ConditionFalse, "RouteCreated", "RouteController created a route"),
		},
		Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: fmt.Sprintf("10.0.%d.%d", i/256%256, i%256)},
			{Type: corev1.NodeHostName, Address: fmt.Sprintf("ip-10-0-%d-%d.eu-west-1.compute.internal", i/256%256, i%256)},
		},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: 10250}},
		NodeInfo: corev1.NodeSystemInfo{
			MachineID: fmt.Sprintf("%032x", i), SystemUUID: fmt.Sprintf("ec2%029x", i), BootID: fmt.Sprintf("%08x-1111-2222-3333-%012x", i, i),
			KernelVersion: "6.1.115-126.197.amzn2023.x86_64", OSImage: "Amazon Linux 2023.6.20241121",
			ContainerRuntimeVersion: "containerd://1.7.23", KubeletVersion: "v1.31.2-eks-94953ac",
			OperatingSystem: "linux", Architecture: "amd64",
		},
		Images: images,
	}
}

// createBenchNodes writes n realistic nodes through the API server as a kubelet does: a
// create, then the status through the status subresource, each with field manager
// "kubelet", so that the stored objects carry managedFields. It returns the mean size of
// a stored node as JSON.
func createBenchNodes(b testing.TB, env *testenv.Env, n int) int {
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			created, err := cs.CoreV1().Nodes().Create(ctx, benchNode(i), metav1.CreateOptions{FieldManager: "kubelet"})
			if err != nil {
				errs <- err
				return
			}
			created.Status = benchNodeStatus(i)
			if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{FieldManager: "kubelet"}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	// Size of the stored objects, as a LIST returns them (JSON).
	raw, err := cs.CoreV1().RESTClient().Get().Resource("nodes").Param("limit", "100").DoRaw(ctx)
	if err != nil {
		b.Fatal(err)
	}
	items := min(n, 100)
	return len(raw) / items
}

// throttleRecorder is a client-side rate limiter (a token bucket, as client-go builds
// from QPS and Burst) that records how long each request waited for it. client-go logs
// "Waited for … due to client-side throttling" when a request waits longer than 50ms
// (longThrottleLatency in k8s.io/client-go/rest/request.go); a wait that long counts as
// throttled here.
type throttleRecorder struct {
	flowcontrol.RateLimiter
	mu        sync.Mutex
	throttled int           // waits over throttleThreshold
	longest   time.Duration // longest wait
}

// throttleThreshold is client-go's longThrottleLatency: requests that wait longer are
// logged as throttled.
const throttleThreshold = 50 * time.Millisecond

// Wait waits for a token and records how long it took.
func (t *throttleRecorder) Wait(ctx context.Context) error {
	start := time.Now()
	err := t.RateLimiter.Wait(ctx)
	d := time.Since(start)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.longest = max(t.longest, d)
	if d > throttleThreshold {
		t.throttled++
	}
	return err
}

// stats returns the number of throttled waits and the longest wait so far.
func (t *throttleRecorder) stats() (int, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.throttled, t.longest
}

// cliConfig is the client configuration ngctl builds (cluster.RESTConfig from the
// environment's kubeconfig: cluster.DefaultQPS, DefaultBurst, DefaultRequestTimeout),
// with userAgent and a rate limiter of the same QPS and burst that records throttling.
func cliConfig(b *testing.B, env *testenv.Env, userAgent string) (*rest.Config, *throttleRecorder) {
	cfg, err := cluster.RESTConfig(cluster.Options{Kubeconfig: env.Kubeconfig})
	if err != nil {
		b.Fatal(err)
	}
	if cfg.QPS != cluster.DefaultQPS || cfg.Burst != cluster.DefaultBurst || cfg.Timeout != cluster.DefaultRequestTimeout {
		b.Fatalf("cluster.RESTConfig: QPS %v, burst %d, timeout %s; want the defaults", cfg.QPS, cfg.Burst, cfg.Timeout)
	}
	rec := &throttleRecorder{RateLimiter: flowcontrol.NewTokenBucketRateLimiter(cfg.QPS, cfg.Burst)}
	cfg.RateLimiter = rec
	cfg.UserAgent = userAgent
	return cfg, rec
}

// resetPeakRSS resets the process's peak resident set size (VmHWM) to its current RSS by
// writing 5 to /proc/self/clear_refs (Linux 4.0+); it reports whether it could.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS is the process's peak resident set size (VmHWM in /proc/self/status) in bytes,
// 0 when it cannot be read.
func peakRSS() int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(status) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			kb, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte("kB")))), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
