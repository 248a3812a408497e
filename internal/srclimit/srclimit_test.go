package srclimit

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// nest returns open×n + inner + close×n.
func nest(open, inner, close string, n int) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

// TestCheckHCLRejectsDeepNesting: every construct the HCL parser nests is counted, and
// the error names the file, line and column where the limit is passed.
func TestCheckHCLRejectsDeepNesting(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"tuples", "x = " + nest("[", "", "]", MaxDepth+1), "x.hcl:1:105: HCL nested more than 100 levels deep"},
		{"objects", "x = " + nest("{a = ", "1", "}", MaxDepth+1), "x.hcl:1:"},
		{"calls", "x = " + nest("f(", "", ")", MaxDepth+1), "x.hcl:1:"},
		{"parentheses", "x = " + nest("(", "1", ")", MaxDepth+1), "x.hcl:1:"},
		{"blocks", nest("a {\n", "", "}\n", MaxDepth+1), "x.hcl:101:3:"},
		{"templates", "x = " + nest(`"${`, "1", `}"`, MaxDepth/2+1), "x.hcl:1:"},
		{"unary minus", "x = " + strings.Repeat("-", MaxDepth+1) + "1", "x.hcl:1:105:"},
		{"unary minus with spaces", "x = " + strings.Repeat("- ", MaxDepth+1) + "1", "x.hcl:1:"},
		{"not", "x = " + strings.Repeat("!", MaxDepth+1) + "true", "x.hcl:1:"},
		{"splats", "x = a" + strings.Repeat("[*]", MaxDepth+1), "x.hcl:1:"},
		{"splats with attributes", "x = a" + strings.Repeat("[*].b", MaxDepth+1), "x.hcl:1:"},
		{"mixed", "rule \"r\" {\n  x = " + nest("[-(", "1", ")]", MaxDepth/3+1) + "\n}\n", "x.hcl:2:"},
		{"deep after a heredoc", "x = <<EOT\n]]]]\nEOT\ny = " + nest("[", "", "]", MaxDepth+1), "x.hcl:4:"},
		{"deep inside a heredoc template", "x = <<EOT\n" + nest("${[", "", "]}", MaxDepth/2+1) + "\nEOT\n", "x.hcl:2:"},
		{"80,000 levels", "x = " + nest("[", "", "]", 80000), "x.hcl:1:105:"},
		// The parser recurses into a conditional's results, and evaluation once per
		// binary operator (issue 7: 1 MiB of a?a?… took 2.6 s and 900 MB).
		{"nested conditionals", "x = " + strings.Repeat("a?", MaxDepth+1) + "1" + strings.Repeat(":2", MaxDepth+1), "x.hcl:1:206:"},
		{"conditional chain", "x = " + strings.Repeat("a ? b : ", MaxDepth+1) + "c", "x.hcl:1:"},
		{"long subtraction", "x = 1" + strings.Repeat(" - -1", MaxDepth/2+1), "x.hcl:1:"},
		{"long sum", "x = 1" + strings.Repeat("+1", MaxDepth+1), "x.hcl:1:"},
		{"not equal", "x = a" + strings.Repeat(" != b", MaxDepth+1), "x.hcl:1:"},
		{"and", "x = a" + strings.Repeat(" && b", MaxDepth+1), "x.hcl:1:"},
		{"in a rule", "rule \"r\" {\n  condition {\n    value = 1" + strings.Repeat("*2", MaxDepth+1) + "\n  }\n}\n", "x.hcl:3:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckHCL("x.hcl", []byte(tt.src))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("CheckHCL = %v, want an error starting %q", err, tt.want)
			}
			var le *Error
			if !errors.As(err, &le) || le.File != "x.hcl" || le.Line == 0 || le.Column == 0 {
				t.Errorf("error %#v does not name file, line and column", err)
			}
		})
	}
}

// TestCheckHCLAcceptsRealisticSources: brackets that are text (in strings, comments,
// heredocs, escaped templates) are not counted, nor are long flat expressions, and
// nesting up to MaxDepth is fine.
func TestCheckHCLAcceptsRealisticSources(t *testing.T) {
	tests := []struct{ name, src string }{
		{"at the limit", "x = " + nest("[", "", "]", MaxDepth)},
		{"blocks at the limit", nest("a {\n", "", "}\n", MaxDepth)},
		{"unary at the limit", "x = " + strings.Repeat("-", MaxDepth) + "1"},
		{"brackets in strings", `x = "` + strings.Repeat("[({", 200) + `"`},
		{"escaped quotes and templates", `x = "\"[[[ $${[[[ %%{[[[ \\"` + "\n" + `y = "${"["}"`},
		{"brackets in comments", "# " + strings.Repeat("[", 200) + "\n// " + strings.Repeat("(", 200) + "\n/* " + strings.Repeat("{", 200) + " */\nx = 1\n"},
		{"brackets in a heredoc", "x = <<-EOT\n  " + strings.Repeat("[", 200) + "\n  EOT\ny = [1]\n"},
		{"a heredoc with CRLF", "x = <<EOT\r\n" + strings.Repeat("{", 200) + "\r\nEOT\r\ny = 1\r\n"},
		{"subtraction at the limit", "x = 1" + strings.Repeat(" - -1", MaxDepth/2)},
		{"long sums of negatives on many lines", strings.Repeat("x = -1 + -2 - -3\n", 1000)},
		{"many sums in a list", "x = [" + strings.Repeat("a + b * c, ", 1000) + "]"},
		{"objects with colons", "x = {" + strings.Repeat("a: -1, ", 1000) + "}"},
		{"for expressions", "x = {" + strings.Repeat("for k, v in a : k => -v if v > 0 ", 1) + "}"},
		{"many splats in a list", "x = [" + strings.Repeat("a[*].b, ", 1000) + "]"},
		{"many negatives in a list", "x = [\n" + strings.Repeat("  -1,\n", 1000) + "]"},
		{"conditional chain at the limit", "x = " + strings.Repeat("a ? b : ", MaxDepth) + "c"},
		{"many conditionals on many lines", strings.Repeat("x = a ? b : c ? d : e\n", 1000)},
		{"long traversal", "x = a" + strings.Repeat(".b[0]", 1000)},
		{"not equal at the limit", "x = a" + strings.Repeat(" != b", MaxDepth)},
		{"unbalanced closers", "x = ]]]]))}}}}\n" + nest("[", "", "]", MaxDepth)},
		{"string ending at the line", "x = \"[[[[\ny = " + nest("[", "", "]", MaxDepth)},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckHCL("x.hcl", []byte(tt.src)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCheckHCLAcceptsTheExamples: every HCL file of the repository passes, but the one
// that is there to fail it.
func TestCheckHCLAcceptsTheExamples(t *testing.T) {
	var files []string
	for _, pat := range []string{"../../examples/rules/hcl/*.hcl", "../load/testdata/*/*.hcl", "../render/testdata/*.hcl"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("only %d HCL files found: %v", len(files), files)
	}
	for _, f := range files {
		if filepath.Base(f) == "hcl-deep-nesting.hcl" {
			continue // the loader's golden test of this limit
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckHCL(f, data); err != nil {
			t.Errorf("%v", err)
		}
	}
}

// TestCheckHCLSize: files over MaxHCLSize are refused before they are scanned.
func TestCheckHCLSize(t *testing.T) {
	tests := []struct {
		size int
		ok   bool
	}{{MaxHCLSize, true}, {MaxHCLSize + 1, false}}
	for _, tt := range tests {
		start := time.Now()
		err := CheckHCL("big.hcl", []byte(strings.Repeat("#", tt.size)))
		if (err == nil) != tt.ok {
			t.Errorf("size %d: CheckHCL = %v, want ok %v", tt.size, err, tt.ok)
		}
		if err != nil && err.Error() != "big.hcl: HCL file of 1048577 bytes is larger than 1024 KiB" {
			t.Errorf("size %d: error %q", tt.size, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("size %d: CheckHCL took %s", tt.size, d)
		}
	}
}

// TestCheckHCLRefusesOperatorBombsQuickly: 1 MiB of nested conditionals, conditional
// chains or operators is refused at once, in little memory, with the depth error.
func TestCheckHCLRefusesOperatorBombsQuickly(t *testing.T) {
	mib := func(unit string, head, tail string) []byte {
		n := (MaxHCLSize - len(head) - len(tail)) / len(unit)
		return []byte(head + strings.Repeat(unit, n) + tail)
	}
	for name, src := range map[string][]byte{
		"a?a?…":           append(mib("a?", "x = ", ""), '1'),
		"a?1:a?1:…":       mib("a?1:", "x = ", "1"),
		"a+a+…":           mib("a+", "x = ", "a"),
		"1*2*… in a rule": mib("*2", "rule \"r\" {\n  condition {\n    value = 1", "\n  }\n}\n"),
		"!a&&!a&&…":       mib("!a&&", "x = ", "a"),
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		err := CheckHCL("x.hcl", src[:min(len(src), MaxHCLSize)])
		d := time.Since(start)
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), "nested more than 100 levels deep") {
			t.Errorf("%s: CheckHCL = %v, want the depth error", name, err)
		}
		if d > time.Second {
			t.Errorf("%s: CheckHCL took %s", name, d)
		}
		if a := after.TotalAlloc - before.TotalAlloc; a > 1<<20 {
			t.Errorf("%s: CheckHCL allocated %d bytes", name, a)
		}
	}
}

// FuzzCheckHCL: CheckHCL never panics, and whatever it lets through the HCL parser and
// formatter handle without overflowing the stack (which would crash the fuzzer).
func FuzzCheckHCL(f *testing.F) {
	for _, s := range []string{
		"x = [[1]]", "x = <<EOT\n[\nEOT\n", `x = "${"${1}"}"`, "x = - - !a[*].b", "a { b { c = 1 } }",
		"x = \"%{ if a }[%{ endif }\"", "/* [ */ x = 1 # [", "x = a.*.b",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := CheckHCL("f.hcl", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.hcl") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		_, _ = hclsyntax.ParseConfig(data, "f.hcl", hcl.InitialPos)
		_ = hclwrite.Format(data)
	})
}
