package main

import (
	"io"
	"slices"
	"strings"
	"testing"
)

func TestNormalizeArgs(t *testing.T) {
	app := newApp(strings.NewReader(""), io.Discard, io.Discard)
	tests := []struct {
		name string
		in   string
		want string // "" with err
		err  string
	}{
		{"flags first stay", "apply --auto-approve -f r --snapshot s p.json", "apply --auto-approve -f r --snapshot s -- p.json", ""},
		{"bool flag after the argument", "apply -f r --snapshot s p.json --auto-approve", "apply -f r --snapshot s --auto-approve -- p.json", ""},
		{"alias with value after the argument", "show p.json -o json", "show -o json -- p.json", ""},
		{"name=value", "show p.json --output=json", "show --output=json -- p.json", ""},
		{"single dash long name", "plan -f r -out p.json", "plan -f r -out p.json", ""},
		{"repeated -f around arguments", "validate -f a -f - -f b", "validate -f a -f - -f b", ""},
		{"value that looks like a flag is a value", "plan -f - --rule -x", "plan -f - --rule -x", ""},
		{"test flags after the file", "test t.yaml --run X --junit out.xml", "test --run X --junit out.xml -- t.yaml", ""},
		{"-- ends flags", "show -- -o", "show -- -o", ""},
		{"-- keeps later flags positional", "fmt a --check -- --diff b", "fmt --check -- a --diff b", ""},
		{"stdin dash is positional", "fmt -", "fmt -- -", ""},
		{"bool=false", "plan --no-color=false -f r", "plan --no-color=false -f r", ""},
		{"global version", "--version", "--version", ""},
		{"help command", "help plan", "help plan", ""},
		{"help flag after argument", "show p.json -h", "show --help", ""},
		{"help drops the arguments", "apply -f r p.json --help", "apply --help", ""},
		{"help=true", "fmt a --help=true", "fmt --help", ""},
		{"help=false is no help", "fmt a --help=false", "fmt --help=false -- a", ""},
		{"help after -- is a file", "fmt -- -h", "fmt -- -h", ""},
		{"help as a flag value is the value", "plan -f r --rule -h", "plan -f r --rule -h", ""},
		{"subcommand", "alert render -f r --template t", "alert render -f r --template t", ""},
		{"subcommand help", "alert render --help", "alert render --help", ""},
		{"subcommand flags after arguments", "alert render x --template t", "alert render --template t -- x", ""},
		{"subcommand flag before the subcommand", "alert --template t render", "", "flag --template goes after the subcommand: ngctl alert render --template"},
		{"unknown flag of a subcommand", "alert render --bogus", "", "unknown flag --bogus for ngctl alert render; see ngctl alert render --help"},
		{"no command", "", "", ""},
		{"unknown flag after argument", "show p.json --bogus", "", "unknown flag --bogus for ngctl show; see ngctl show --help"},
		{"unknown flag with value", "plan --bogus=1", "", "unknown flag --bogus for ngctl plan"},
		{"flag of another command", "snapshot -o f --max-disruptive 3", "", "unknown flag --max-disruptive for ngctl snapshot"},
		{"triple dash", "plan ---rule x", "", "unknown flag ---rule"},
		{"unknown global flag", "--bogus plan", "", "unknown flag --bogus; see ngctl --help"},
		{"unknown command", "plna -f x", "", `unknown command "plna"`},
		{"missing value", "show p.json -o", "", "flag -o needs a value"},
		{"duration", "plan --staleness 5", "", `invalid value "5" for flag --staleness: a duration such as 5m or 90s`},
		{"duration inline", "plan --prometheus-timeout=soon", "", `invalid value "soon" for flag --prometheus-timeout: a duration such as 5m or 90s`},
		{"good duration", "plan --staleness 90s", "plan --staleness 90s", ""},
		{"int", "plan --burst many", "", `invalid value "many" for flag --burst: a whole number`},
		{"float", "plan --qps x", "", `invalid value "x" for flag --qps: a number`},
		{"time", "plan --now yesterday", "", `invalid value "yesterday" for flag --now: a time such as 2026-11-29T12:00:00Z`},
		{"bool value", "plan --no-color=maybe", "", `invalid value "maybe" for flag --no-color: true or false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"ngctl"}, strings.Fields(tt.in)...)
			got, err := normalizeArgs(app, args)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("normalizeArgs(%q) error = %v, want %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("normalizeArgs(%q): %v", tt.in, err)
			}
			want := append([]string{"ngctl"}, strings.Fields(tt.want)...)
			if !slices.Equal(got, want) {
				t.Errorf("normalizeArgs(%q) = %q, want %q", tt.in, got, want)
			}
		})
	}
}
