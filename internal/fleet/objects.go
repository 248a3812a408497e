package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/nodeguardian/nodeguardian/internal/series"
	"github.com/nodeguardian/nodeguardian/internal/yamlpos"
)

// items returns the items of a top-level list field (nil when absent or null).
func items(p *problems, e entry) []*yaml.Node {
	if e.value == nil || e.value.ShortTag() == "!!null" {
		return nil
	}
	if e.value.Kind != yaml.SequenceNode {
		p.add(e.value.Line, e.key.Value, "expected a list, found %s", yamlpos.Describe(e.value))
		return nil
	}
	return e.value.Content
}

// decodeNodes decodes the nodes: names are required and unique. It returns the name of
// every item of nodes, decoded or rejected (an error already reported), so that series
// of a rejected node are not reported again as series of a node not in nodes.
func decodeNodes(p *problems, list iter.Seq2[int, listItem], s *Snapshot) map[string]bool {
	seen := map[string]int{}
	listed := map[string]bool{}
	for i, it := range list {
		path := fmt.Sprintf("%s[%d]", fieldNodes, i)
		item := it.node
		if name := child(item, "metadata", "name"); name != nil && name.Kind == yaml.ScalarNode {
			listed[name.Value] = true
		}
		n, ok := decodeItem[corev1.Node](p, it, path)
		if !ok {
			continue
		}
		if !checkName(p, item, path, "", n.Name, seen) || !checkTaints(p, item, path, &n) {
			continue
		}
		s.Nodes = append(s.Nodes, n)
	}
	return listed
}

// decodePods decodes the pods: names are required and unique per namespace. A pod on
// a node that is not in s.Nodes (decoded first) is a warning.
func decodePods(p *problems, list iter.Seq2[int, listItem], s *Snapshot) {
	seen := map[string]int{}
	nodes := make(map[string]bool, len(s.Nodes))
	for _, n := range s.Nodes {
		nodes[n.Name] = true
	}
	for i, it := range list {
		path := fmt.Sprintf("%s[%d]", fieldPods, i)
		item := it.node
		pod, ok := decodeItem[corev1.Pod](p, it, path)
		if ok && checkName(p, item, path, pod.Namespace, pod.Name, seen) {
			warnPodOnUnknownNode(p, item, path, &pod, nodes)
			s.Pods = append(s.Pods, pod)
		}
	}
}

// decodePDBs decodes the PodDisruptionBudgets: names are required and unique per namespace.
func decodePDBs(p *problems, list iter.Seq2[int, listItem], s *Snapshot) {
	seen := map[string]int{}
	for i, it := range list {
		path := fmt.Sprintf("%s[%d]", fieldPDBs, i)
		item := it.node
		pdb, ok := decodeItem[policyv1.PodDisruptionBudget](p, it, path)
		if ok && checkName(p, item, path, pdb.Namespace, pdb.Name, seen) {
			s.PodDisruptionBudgets = append(s.PodDisruptionBudgets, pdb)
		}
	}
}

// checkName reports an object without metadata.name, with a name (or namespace) the
// API server would refuse — a DNS-1123 subdomain (a namespace: a DNS-1123 label), so no
// space, capital, control or bidi character reaches a terminal — or with the name of an
// earlier one.
func checkName(p *problems, item *yaml.Node, path, namespace, name string, seen map[string]int) bool {
	if name == "" {
		p.add(item.Line, path+".metadata.name", "missing")
		return false
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		p.add(lineOf(item, "name"), path+".metadata.name", "%q is not a valid name: %s", name, strings.Join(errs, "; "))
		return false
	}
	if errs := validation.IsDNS1123Label(namespace); namespace != "" && len(errs) > 0 {
		p.add(lineOf(item, "namespace"), path+".metadata.namespace", "%q is not a valid namespace: %s", namespace, strings.Join(errs, "; "))
		return false
	}
	id := objectID(namespace, name)
	if first, dup := seen[id]; dup {
		p.add(item.Line, path+".metadata.name", "duplicate %q (first on line %d)", id, first)
		return false
	}
	seen[id] = item.Line
	return true
}

// lineOf is the line of an object's metadata field, or the object's.
func lineOf(item *yaml.Node, field string) int {
	if at := child(item, "metadata", field); at != nil {
		return at.Line
	}
	return item.Line
}

// listItem is one item of a top-level list: its YAML tree and, when a worker decoded it
// already (a streamed read), the object and the problems decoding it found.
type listItem struct {
	node *yaml.Node
	obj  any // *corev1.Node, *corev1.Pod or *policyv1.PodDisruptionBudget; nil: not decoded
	ok   bool
	errs []error
}

// plainItems are a list's items, not decoded yet.
func plainItems(nodes []*yaml.Node) iter.Seq2[int, listItem] {
	return func(yield func(int, listItem) bool) {
		for i, n := range nodes {
			if !yield(i, listItem{node: n}) {
				return
			}
		}
	}
}

// newObject is a new object of the list field's type.
func newObject(field string) any {
	switch field {
	case fieldNodes:
		return &corev1.Node{}
	case fieldPods:
		return &corev1.Pod{}
	}
	return &policyv1.PodDisruptionBudget{}
}

// predecode decodes the item of the list field at index i into it (a worker's part of
// a streamed read: it touches nothing shared).
func predecode(file, field string, i int, it *listItem) {
	local := &problems{file: file}
	it.obj = newObject(field)
	it.ok = decodeObject(local, it.node, fmt.Sprintf("%s[%d]", field, i), kindName(it.obj), it.obj)
	it.errs = local.errs
}

// decodeItem is the item as a T (a Kubernetes object), decoded now or by a worker, its
// problems reported to p.
func decodeItem[T any](p *problems, it listItem, path string) (T, bool) {
	var out T
	if it.obj == nil {
		ok := decodeObject(p, it.node, path, kindName(&out), &out)
		return out, ok
	}
	for _, err := range it.errs {
		if len(p.errs) < maxProblems {
			p.errs = append(p.errs, err)
		}
	}
	if obj, isT := it.obj.(*T); isT && it.ok {
		return *obj, true
	}
	return out, false
}

// kindName is the kind of a Kubernetes object type the lists hold.
func kindName(obj any) string {
	switch obj.(type) {
	case *corev1.Node:
		return "Node"
	case *corev1.Pod:
		return "Pod"
	}
	return "PodDisruptionBudget"
}

// decodeObject decodes one Kubernetes object leniently (unknown fields are ignored),
// reporting the line of the value that does not fit.
func decodeObject(p *problems, item *yaml.Node, path, kind string, out any) bool {
	item = resolveAlias(item)
	if item.Kind != yaml.MappingNode {
		p.add(item.Line, path, "expected a %s (a mapping), found %s", kind, yamlpos.Describe(item))
		return false
	}
	doc, yerr := toJSON(item, path)
	if yerr != nil {
		p.addErr(yerr.Line, yerr.Field, yerr.Err)
		return false
	}
	if err := json.Unmarshal(doc.buf.Bytes(), out); err != nil {
		line, field := locateJSONError(doc, err)
		if line == 0 {
			line, field = item.Line, path
		}
		p.addErr(line, field, describeJSONError(kind, err))
		return false
	}
	if k := kindOf(out); k != "" && k != kind {
		p.add(item.Line, path+".kind", "is %q, expected %q", k, kind)
		return false
	}
	return true
}

// locateJSONError finds the YAML line and path of the value a decoding error is about.
func locateJSONError(doc *jsonDoc, err error) (int, string) {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return doc.lineAt(typeErr.Offset)
	}
	var timeErr *time.ParseError
	if errors.As(err, &timeErr) {
		quoted := strconv.Quote(timeErr.Value)
		text := doc.buf.Bytes()
		for _, s := range doc.spans {
			if string(text[s.start:s.end]) == quoted {
				return s.line, s.path
			}
		}
	}
	return 0, ""
}

// describeJSONError says which kind of object a decoding error is about.
func describeJSONError(kind string, err error) error {
	return fmt.Errorf("invalid %s: %w", kind, err)
}

// kindOf returns the kind an object declares ("" when it declares none).
func kindOf(obj any) string {
	switch o := obj.(type) {
	case *corev1.Node:
		return o.Kind
	case *corev1.Pod:
		return o.Kind
	case *policyv1.PodDisruptionBudget:
		return o.Kind
	}
	return ""
}

// parseSeries reads series: node → metric → notation. Every node must be in nodes (listed:
// the names of nodes' items, rejected ones included) and every notation must parse.
func parseSeries(p *problems, e entry, s *Snapshot, listed map[string]bool) map[string]map[string]string {
	if e.value == nil || e.value.ShortTag() == "!!null" {
		return nil
	}
	if e.value.Kind != yaml.MappingNode {
		p.add(e.value.Line, fieldSeries, "expected a mapping of node name to metrics, found %s", yamlpos.Describe(e.value))
		return nil
	}
	out := map[string]map[string]string{}
	b := &sampleBudget{interval: s.Interval.Duration, left: MaxTotalSamples}
	for _, ne := range mappingEntries(e.value) {
		field := fieldSeries + "." + ne.key.Value
		switch {
		case ne.key.Kind != yaml.ScalarNode:
			p.add(ne.key.Line, fieldSeries, "a node name must be a scalar, found %s", yamlpos.Describe(ne.key))
			continue
		case out[ne.key.Value] != nil:
			p.add(ne.key.Line, field, "duplicate node")
			continue
		case !listed[ne.key.Value]:
			p.add(ne.key.Line, field, "node %q is not in nodes", ne.key.Value)
		}
		out[ne.key.Value] = parseMetrics(p, ne, field, b)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// sampleBudget is what the series of one snapshot may still expand to.
type sampleBudget struct {
	interval time.Duration // the snapshot's
	left     int           // samples, of MaxTotalSamples
}

// parseMetrics reads one node's metrics: metric → notation. Every notation must parse
// within the samples left in b and, placed b.interval apart, fit in time.
func parseMetrics(p *problems, ne entry, field string, b *sampleBudget) map[string]string {
	out := map[string]string{}
	if ne.value.ShortTag() == "!!null" {
		return out
	}
	if ne.value.Kind != yaml.MappingNode {
		p.add(ne.value.Line, field, "expected a mapping of metric name to series, found %s", yamlpos.Describe(ne.value))
		return out
	}
	for _, me := range mappingEntries(ne.value) {
		mfield := field + "." + me.key.Value
		if _, dup := out[me.key.Value]; dup {
			p.add(me.key.Line, mfield, "duplicate metric")
			continue
		}
		if me.value.Kind != yaml.ScalarNode {
			p.add(me.value.Line, mfield, "expected a series such as \"1+0x10\", found %s", yamlpos.Describe(me.value))
			continue
		}
		notation := me.value.Value
		if me.value.ShortTag() == "!!null" {
			notation = ""
		}
		vals, err := series.ParseLimit(notation, b.left)
		if err != nil {
			if b.left < series.MaxSamples {
				err = fmt.Errorf("%w: the series of a snapshot hold at most %d samples in all", err, MaxTotalSamples)
			}
			p.addErr(me.value.Line, mfield, err)
			continue
		}
		b.left -= len(vals)
		checkSpan(p, me.value.Line, mfield, len(vals), b.interval)
		out[me.key.Value] = notation
	}
	return out
}
