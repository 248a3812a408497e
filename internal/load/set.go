package load

import (
	"fmt"
)

// checkDuplicates reports every object whose kind and name an earlier one already has
// (valid or not), at the second one's name, naming where the first is.
func (l *loader) checkDuplicates() {
	first := map[string]*document{}
	for _, d := range l.docs {
		if d.name() == "" {
			continue
		}
		key := OriginKey(d.kind, d.name())
		f, dup := first[key]
		if !dup {
			first[key] = d
			continue
		}
		where := f.src.file
		if line := f.start().line; line > 0 {
			where = fmt.Sprintf("%s:%d", where, line)
		}
		l.diags = append(l.diags, d.diag(Error, "/metadata/name", false, "/metadata/name",
			fmt.Sprintf("duplicate %s %q: first defined at %s", d.kind, d.name(), where)))
	}
}

// checkTemplateRefs warns about alert actions naming a template that is not loaded.
func (l *loader) checkTemplateRefs() {
	templates := map[string]bool{}
	for _, t := range l.set.Templates {
		templates[t.Name] = true
	}
	for _, o := range l.objs {
		if o.rule == nil {
			continue
		}
		for i, a := range o.rule.Spec.Actions {
			if a.Alert != nil {
				l.templateRef(o.doc, ptrIndex("/spec/actions", i)+"/alert/template", a.Alert.Template, templates)
			}
		}
		for i, a := range o.rule.Spec.RecoveryActions {
			if a.Alert != nil {
				l.templateRef(o.doc, ptrIndex("/spec/recoveryActions", i)+"/alert/template", a.Alert.Template, templates)
			}
		}
	}
}

func (l *loader) templateRef(d *document, ptr, name string, templates map[string]bool) {
	if name == "" || templates[name] {
		return
	}
	l.diags = append(l.diags, d.diag(Warning, ptr, false, ptr,
		fmt.Sprintf("template %q is not in the loaded files; it must exist in the cluster", name)))
}
