package render

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	v1 "github.com/nodeguardian/nodeguardian/api/v1"
)

// parseAttr parses src and returns the string value of the attribute at the end of
// the path of block types (each block the first of its type).
func parseAttr(t *testing.T, src []byte, path ...string) string {
	t.Helper()
	f, diags := hclsyntax.ParseConfig(src, "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse: %v\n%s", diags, src)
	}
	body := f.Body.(*hclsyntax.Body)
	for _, typ := range path[:len(path)-1] {
		var next *hclsyntax.Body
		for _, b := range body.Blocks {
			if b.Type == typ {
				next = b.Body
				break
			}
		}
		if next == nil {
			t.Fatalf("no block %q in\n%s", typ, src)
		}
		body = next
	}
	attr := body.Attributes[path[len(path)-1]]
	if attr == nil {
		t.Fatalf("no attribute %q in\n%s", path[len(path)-1], src)
	}
	v, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		t.Fatalf("evaluate %s: %v", attr.Name, diags)
	}
	return v.AsString()
}

func TestStringsRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		s       string
		heredoc bool
	}{
		{name: "one line", s: "Node {{ node_name }} is overloaded.\n", heredoc: true},
		{name: "several lines", s: "a\n  b\n\nc\n", heredoc: true},
		{name: "blank line with spaces", s: "a\n   \nb\n", heredoc: true},
		{name: "trailing spaces", s: "a  \n\tb\t\n", heredoc: true},
		{name: "marker inside a line", s: "EOT is the marker\nxEOT\n", heredoc: true},
		{name: "templates", s: "${x} $${y} %{ if } %%{z} $ % {{ a }}\n", heredoc: true},
		{name: "tabs and unicode", s: "\tindented\nnœud «ok»\n", heredoc: true},
		{name: "backslashes and quotes", s: "C:\\path \"q\"\n", heredoc: true},
		{name: "no final newline", s: "a\nb"},
		{name: "all lines indented", s: "  a\n  b\n"},
		{name: "marker line", s: "a\n  EOT\n"},
		{name: "carriage return", s: "a\r\nb\r\n"},
		{name: "only newlines", s: "\n\n"},
		{name: "single line", s: "plain \"quoted\" ${x}"},
		{name: "empty", s: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := &v1.AlertTemplate{Spec: v1.AlertTemplateSpec{Subject: "s", Body: tt.s}}
			rule := minimalRule()
			rule.Spec.Metadata.Description = tt.s
			src, err := HCL([]*v1.NodeGuardianRule{rule}, []*v1.AlertTemplate{tmpl})
			if err != nil {
				t.Fatalf("HCL: %v", err)
			}
			if got := strings.Contains(string(src), "<<-EOT"); got != tt.heredoc {
				t.Errorf("heredoc = %v, want %v:\n%s", got, tt.heredoc, src)
			}
			if got := parseAttr(t, src, "alert_template", "subject"); got != "s" {
				t.Errorf("subject reads back as %q", got)
			}
			if tt.s == "" {
				return // an empty description or body is left out
			}
			if got := parseAttr(t, src, "rule", "metadata", "description"); got != tt.s {
				t.Errorf("description reads back as %q, want %q:\n%s", got, tt.s, src)
			}
			if got := parseAttr(t, src, "alert_template", "body"); got != tt.s {
				t.Errorf("body reads back as %q, want %q:\n%s", got, tt.s, src)
			}
		})
	}
}

func TestFormatHCL(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    string
		wantErr string
	}{
		{name: "canonical", src: "rule \"a\" {\n  x = 1\n}\n", want: "rule \"a\" {\n  x = 1\n}\n"},
		{name: "reindent", src: "rule \"a\" {\nx=1\n    yy = \"b\"\n}\n", want: "rule \"a\" {\n  x  = 1\n  yy = \"b\"\n}\n"},
		{name: "empty", src: "", want: ""},
		{name: "unclosed block", src: "rule \"a\" {\n  x = 1\n", wantErr: "rules.hcl:1:10: Unclosed configuration block"},
		{name: "bad token", src: "rule \"a\" {\n  x = = 1\n}\n", wantErr: "rules.hcl:2:7: "},
		// Issue 7: refused before hclsyntax/hclwrite recurse into them (80,000 levels overflowed the stack).
		{name: "nested 80,000 deep", src: "x = " + strings.Repeat("[", 80000) + strings.Repeat("]", 80000), wantErr: "rules.hcl:1:105: HCL nested more than 100 levels deep"},
		{name: "blocks nested 101 deep", src: strings.Repeat("a {\n", 101) + strings.Repeat("}\n", 101), wantErr: "rules.hcl:101:3: HCL nested"},
		{name: "over 1 MiB", src: strings.Repeat("#\n", 1<<19+1), wantErr: "rules.hcl: HCL file of 1048578 bytes is larger than 1024 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FormatHCL("rules.hcl", []byte(tt.src))
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("FormatHCL error = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("FormatHCL: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("FormatHCL = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	nan := minimalRule()
	nan.Spec.Conditions[0].Value = zero() / zero()
	badJSON := everyFieldTemplate()
	badJSON.Spec.Variables.Raw = []byte(`{"a":`)
	tests := []struct {
		name      string
		rules     []*v1.NodeGuardianRule
		templates []*v1.AlertTemplate
		wantErr   string
	}{
		{name: "nil rule", rules: []*v1.NodeGuardianRule{nil}, wantErr: "rule 0 is nil"},
		{name: "nil template", templates: []*v1.AlertTemplate{nil}, wantErr: "alert template 0 is nil"},
		{name: "NaN", rules: []*v1.NodeGuardianRule{nan}, wantErr: `rule "minimal": spec: conditions: item 0: value: number NaN`},
		{name: "bad variables", templates: []*v1.AlertTemplate{badJSON}, wantErr: "variables: invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for format, render := range map[string]func([]*v1.NodeGuardianRule, []*v1.AlertTemplate) ([]byte, error){"HCL": HCL, "YAML": YAML} {
				_, err := render(tt.rules, tt.templates)
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("%s error = %v, want it to contain %q", format, err, tt.wantErr)
				}
			}
		})
	}
}

func zero() float64 { return 0 }
