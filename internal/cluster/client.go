// Package cluster reads a live cluster — nodes, pods, PodDisruptionBudgets and the
// NodeGuardian rules — and applies plans to it.
//
// Applying a plan does to each node what internal/apply does to a snapshot's node: one
// merge PATCH per node carries its taints, labels, annotations (the ledger included) and
// spec.unschedulable, guarded by the node's resourceVersion; a node that changed since it
// was planned is re-read and planned again. Evictions then go through the Eviction API
// (policy/v1), so PodDisruptionBudgets are honoured; pods are never deleted directly.
//
// The permissions needed: nodes get, list, patch; pods list; pods/eviction create;
// poddisruptionbudgets list; nodeguardianrules and alerttemplates list.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrlclient "sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
	"github.com/nodeguardian/nodeguardian/internal/fleet"
	"github.com/nodeguardian/nodeguardian/internal/srclimit"
)

// Client defaults.
const (
	// DefaultQPS is the client's sustained request rate when Options.QPS is 0. It is set
	// above what ngctl can ask for: its requests are bounded by its own concurrency (a
	// few nodes at a time, one request per changed node, paginated LISTs), and the API
	// server's Priority and Fairness, not a client-side limiter, protects the server.
	// client-go's default (5 QPS for rest.Config, 50 in kubectl) throttled a 100-node
	// apply to seconds.
	DefaultQPS = 1000
	// DefaultBurst is the client's request burst when Options.Burst is 0.
	DefaultBurst = 2000
	// PageSize is how many objects one LIST request returns at most.
	PageSize = 500
	// podListWorkers bounds the concurrent per-node pod LISTs of PodsOn.
	podListWorkers = 8
	// fieldManager names NodeGuardian's writes in managedFields.
	fieldManager = "nodeguardian"
)

// Options say how to reach the cluster.
type Options struct {
	// Kubeconfig is the kubeconfig file; "" follows client-go: $KUBECONFIG, then
	// ~/.kube/config, then the in-cluster service account.
	Kubeconfig string
	// Context is the kubeconfig context to use; "" is the current context.
	Context string
	// QPS and Burst limit the client's request rate (0: DefaultQPS, DefaultBurst).
	QPS   float32
	Burst int
	// RequestTimeout bounds every request (0: DefaultRequestTimeout; negative: none).
	RequestTimeout time.Duration
}

// DefaultRequestTimeout bounds one Kubernetes request when Options.RequestTimeout is 0:
// an API server that stops answering fails the call within it (a LIST page, a PATCH, an
// eviction), and Apply then stops (see Apply).
const DefaultRequestTimeout = 20 * time.Second

// CheckKubeconfig refuses, before client-go reads them whole, kubeconfig files the
// rules would load (--kubeconfig, else each file of $KUBECONFIG, else ~/.kube/config)
// that are larger than srclimit.MaxKubeconfigSize or are not regular files (/dev/zero
// would be read forever).
func CheckKubeconfig(rules *clientcmd.ClientConfigLoadingRules) error {
	for _, file := range rules.GetLoadingPrecedence() {
		if err := srclimit.CheckFile(file, srclimit.MaxKubeconfigSize); err != nil {
			return fmt.Errorf("load kubeconfig: %w", err)
		}
	}
	return nil
}

// RESTConfig builds a client configuration following client-go's clientcmd conventions:
// --kubeconfig, else $KUBECONFIG, else ~/.kube/config, else the in-cluster
// configuration; --context selects a context.
func RESTConfig(o Options) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.Kubeconfig
	if err := CheckKubeconfig(rules); err != nil {
		return nil, err
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: o.Context}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		where := "kubeconfig"
		if o.Kubeconfig != "" {
			where = "kubeconfig " + o.Kubeconfig
		}
		if o.Context != "" {
			where += ", context " + o.Context
		}
		return nil, fmt.Errorf("load %s: %w", where, err)
	}
	cfg.QPS, cfg.Burst = o.QPS, o.Burst
	switch {
	case o.RequestTimeout > 0:
		cfg.Timeout = o.RequestTimeout
	case o.RequestTimeout == 0:
		cfg.Timeout = DefaultRequestTimeout
	}
	if cfg.QPS <= 0 {
		cfg.QPS = DefaultQPS
	}
	if cfg.Burst <= 0 {
		cfg.Burst = DefaultBurst
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "nodeguardian " + rest.DefaultKubernetesUserAgent()
	}
	return cfg, nil
}

// Client reads and changes a live cluster. It is safe for concurrent use.
type Client struct {
	kube kubernetes.Interface
	// evict sends evictions; its transport hides Retry-After from refusals so that
	// client-go does not retry them inside the call (see dropRetryAfter).
	evict kubernetes.Interface
	crs   ctrlclient.Client
	now   func() time.Time
}

// New returns a Client for the cluster cfg reaches. It does not contact the cluster.
func New(cfg *rest.Config) (*Client, error) {
	if cfg == nil {
		return nil, errors.New("cluster: no client configuration")
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster: clientset for %s: %w", cfg.Host, err)
	}
	ecfg := rest.CopyConfig(cfg)
	ecfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return dropRetryAfter{next: rt} })
	evict, err := kubernetes.NewForConfig(ecfg)
	if err != nil {
		return nil, fmt.Errorf("cluster: eviction clientset for %s: %w", cfg.Host, err)
	}
	scheme := runtime.NewScheme()
	if err := v1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("cluster: scheme: %w", err)
	}
	crs, err := ctrlclient.New(cfg, ctrlclient.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("cluster: client for %s resources at %s: %w", v1.Group, cfg.Host, err)
	}
	return &Client{kube: kube, evict: evict, crs: crs, now: time.Now}, nil
}

// Rules reads every NodeGuardianRule and AlertTemplate in the cluster (--from-cluster),
// each sorted by name.
func (c *Client) Rules(ctx context.Context) ([]*v1.NodeGuardianRule, []*v1.AlertTemplate, error) {
	var rules []*v1.NodeGuardianRule
	err := listCRs(ctx, c.crs, &v1.NodeGuardianRuleList{}, func(l *v1.NodeGuardianRuleList) {
		for i := range l.Items {
			r := &l.Items[i]
			r.APIVersion, r.Kind = v1.APIVersion, v1.KindRule
			rules = append(rules, r)
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list %s: %w", v1.KindRule, err)
	}
	var tmpls []*v1.AlertTemplate
	err = listCRs(ctx, c.crs, &v1.AlertTemplateList{}, func(l *v1.AlertTemplateList) {
		for i := range l.Items {
			t := &l.Items[i]
			t.APIVersion, t.Kind = v1.APIVersion, v1.KindAlertTemplate
			tmpls = append(tmpls, t)
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list %s: %w", v1.KindAlertTemplate, err)
	}
	slices.SortFunc(rules, func(a, b *v1.NodeGuardianRule) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(tmpls, func(a, b *v1.AlertTemplate) int { return strings.Compare(a.Name, b.Name) })
	return rules, tmpls, nil
}

// listCRs lists custom resources page by page, handing each page to add.
func listCRs[L ctrlclient.ObjectList](ctx context.Context, c ctrlclient.Client, list L, add func(L)) error {
	cont := ""
	for {
		err := c.List(ctx, list, ctrlclient.Limit(PageSize), ctrlclient.Continue(cont))
		if meta.IsNoMatchError(err) {
			return fmt.Errorf("the NodeGuardian CRDs are not installed (ngctl schema crds | kubectl apply -f -): %w", err)
		}
		if err != nil {
			return err
		}
		add(list)
		if cont = list.GetContinue(); cont == "" {
			return nil
		}
	}
}

// Nodes lists every node, sorted by name: one paginated LIST (PageSize per request).
// The nodes are lean (fleet.LeanNode): each page is trimmed as it arrives, so a large
// fleet is never held in memory whole.
func (c *Client) Nodes(ctx context.Context) ([]corev1.Node, error) {
	nodes, err := listAll(ctx, func(ctx context.Context, o metav1.ListOptions) ([]corev1.Node, string, error) {
		l, err := c.kube.CoreV1().Nodes().List(ctx, o)
		if err != nil {
			return nil, "", err
		}
		for i := range l.Items {
			fleet.LeanNode(&l.Items[i])
		}
		return l.Items, l.Continue, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	slices.SortFunc(nodes, func(a, b corev1.Node) int { return strings.Compare(a.Name, b.Name) })
	return nodes, nil
}

// Node reads one node.
func (c *Client) Node(ctx context.Context, name string) (*corev1.Node, error) {
	n, err := c.kube.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get node %s: %w", name, err)
	}
	return n, nil
}

// PDBs lists the PodDisruptionBudgets of all namespaces, sorted by namespace and name.
func (c *Client) PDBs(ctx context.Context) ([]policyv1.PodDisruptionBudget, error) {
	pdbs, err := listAll(ctx, func(ctx context.Context, o metav1.ListOptions) ([]policyv1.PodDisruptionBudget, string, error) {
		l, err := c.kube.PolicyV1().PodDisruptionBudgets(metav1.NamespaceAll).List(ctx, o)
		if err != nil {
			return nil, "", err
		}
		return l.Items, l.Continue, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list PodDisruptionBudgets: %w", err)
	}
	slices.SortFunc(pdbs, func(a, b policyv1.PodDisruptionBudget) int {
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	return pdbs, nil
}

// listAll follows a paginated LIST to its end. When the continue token expires midway
// (410 Gone) it starts over once.
func listAll[T any](ctx context.Context, list func(context.Context, metav1.ListOptions) ([]T, string, error)) ([]T, error) {
	var out []T
	opts := metav1.ListOptions{Limit: PageSize}
	restarted := false
	for {
		items, cont, err := list(ctx, opts)
		if apierrors.IsResourceExpired(err) && opts.Continue != "" && !restarted {
			out, opts.Continue, restarted = nil, "", true
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if cont == "" {
			return out, nil
		}
		opts.Continue = cont
	}
}
