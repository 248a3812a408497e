package load

import (
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// Objects checks rules and alert templates read from a cluster (ngctl --from-cluster)
// as files are checked: schema, semantic checks, duplicates and template references.
// The API server checked them when they were stored, but against the CRD installed then,
// which may predate a check (reserved keys, budgets over 100%), and an object is only
// as safe as its oldest write. source names where they come from ("cluster"); each
// diagnostic's File is "<source> <Kind>/<name>", without a line.
func Objects(source string, rules []*v1.NodeGuardianRule, templates []*v1.AlertTemplate) Diagnostics {
	v, ds := compile()
	if ds != nil {
		return ds
	}
	l := newLoader(v)
	for _, r := range rules {
		if r != nil {
			l.object(source, kindRule, r.ObjectMeta, r.Spec)
		}
	}
	for _, t := range templates {
		if t != nil {
			l.object(source, kindTemplate, t.ObjectMeta, t.Spec)
		}
	}
	_, ds = l.finish(true)
	return ds
}

// object loads one object given as Go values, through the same path as a file's
// document: its manifest (apiVersion, kind, name, labels, annotations and spec; not the
// server's metadata or status) is encoded and read back as a generic document.
func (l *loader) object(source, kind string, meta metav1.ObjectMeta, spec any) {
	name := fmt.Sprintf("%s %s/%s", source, kind, meta.Name)
	src := newSource(name, nil, false)
	l.rank[src.file] = len(l.rank)
	d := newDocument(src, pos{})
	d.kind = kind
	md := map[string]any{"name": meta.Name}
	if len(meta.Labels) > 0 {
		md["labels"] = meta.Labels
	}
	if len(meta.Annotations) > 0 {
		md["annotations"] = meta.Annotations
	}
	raw, err := json.Marshal(map[string]any{"apiVersion": apiVersion(), "kind": kind, "metadata": md, "spec": spec})
	if err == nil {
		err = json.Unmarshal(raw, &d.root)
	}
	if err != nil {
		l.diags = append(l.diags, src.diagAt(Error, pos{}, "", fmt.Sprintf("cannot encode %s: %v", kind, err)))
		return
	}
	l.document(d)
}
