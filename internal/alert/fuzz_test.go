package alert

import "testing"

// FuzzCompile: no template text crashes Compile, Render or Unknown, and rendering ends.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"{{ .nodeName }}", "{{ node_name | round(2) }}", "{% for p in top_pods %}{{ p.name }}{% endfor %}",
		"{{ range .actions }}{{ .type }}{{ end }}", "{{ range 100000 }}x{{ end }}", "{% for i in range(99999) %}x{% endfor %}",
		"{{", "{%", "{#", "{{ x }", "{{ 'a' * 3 }}", "{% if %}", "{{ .a.b.c }}", "{{ $ }}",
	} {
		f.Add(s)
	}
	c := Sample()
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 1024 { // keep each case fast; size limits are tested elsewhere
			return
		}
		tp, err := Compile("f", text)
		if err != nil {
			return
		}
		_ = tp.Unknown()
		out, err := tp.Render(&c)
		if err == nil && len(out) > MaxOutput {
			t.Fatalf("output of %d bytes", len(out))
		}
	})
}
