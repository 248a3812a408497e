package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// instruction is one parsed Dockerfile line: its keyword (lower case), flags and
// arguments.
type instruction struct {
	cmd   string
	flags []string
	args  []string
	json  bool
	line  int
}

// stage is one FROM and the instructions after it.
type stage struct {
	from  instruction
	steps []instruction
}

// parseDockerfile parses the repository's Dockerfile with BuildKit's parser (the one
// `docker build` uses) and splits it into stages.
func parseDockerfile(t *testing.T) []stage {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile line %d: %s", w.Location.Start.Line, w.Short)
	}
	var stages []stage
	for _, n := range res.AST.Children {
		in := instruction{cmd: strings.ToLower(n.Value), flags: n.Flags, json: n.Attributes["json"], line: n.StartLine}
		for a := n.Next; a != nil; a = a.Next {
			in.args = append(in.args, a.Value)
		}
		switch {
		case in.cmd == "from":
			stages = append(stages, stage{from: in})
		case len(stages) == 0:
			if in.cmd != "arg" {
				t.Errorf("Dockerfile line %d: %s before the first FROM", in.line, in.cmd)
			}
		default:
			stages[len(stages)-1].steps = append(stages[len(stages)-1].steps, in)
		}
	}
	return stages
}

// find returns the instructions of s with that keyword.
func (s stage) find(cmd string) []instruction {
	var out []instruction
	for _, in := range s.steps {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t)
	if len(stages) < 2 {
		t.Fatalf("%d stages: want a multi-stage build (builder, then the runtime image)", len(stages))
	}
	builder, final := stages[0], stages[len(stages)-1]

	// The builder: Go 1.26, named, building ./cmd/ngctl statically.
	if got := builder.from.args; len(got) != 3 || got[0] != "golang:1.26" || !strings.EqualFold(got[1], "as") {
		t.Errorf("first stage FROM %q: want golang:1.26 AS <name>", got)
	}
	var build string
	for _, run := range builder.find("run") {
		if cmd := strings.Join(run.args, " "); strings.Contains(cmd, "go build") {
			build = cmd
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", `-ldflags "-s -w`, "./cmd/ngctl"} {
		if !strings.Contains(build, want) {
			t.Errorf("the builder's go build %q lacks %s", build, want)
		}
	}
	if _, err := os.Stat(filepath.Join("..", "cmd", "ngctl", "main.go")); err != nil {
		t.Errorf("the Dockerfile builds ./cmd/ngctl: %v", err)
	}

	// The runtime image: distroless static, non-root, only the binary.
	if got := final.from.args; len(got) == 0 || got[0] != "gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("final stage FROM %q: want gcr.io/distroless/static-debian12:nonroot", got)
	}
	users := final.find("user")
	if len(users) != 1 || len(users[0].args) != 1 || users[0].args[0] != "65532:65532" {
		t.Errorf("final stage USER %+v: want one USER 65532:65532 (distroless nonroot)", users)
	}
	entry := final.find("entrypoint")
	if len(entry) != 1 || !entry[0].json || !slices.Equal(entry[0].args, []string{"/ngctl"}) {
		t.Errorf("final stage ENTRYPOINT %+v: want the exec form [\"/ngctl\"]", entry)
	}
	copies := final.find("copy")
	stageName := ""
	if len(builder.from.args) == 3 {
		stageName = builder.from.args[2]
	}
	if len(copies) != 1 || !slices.Contains(copies[0].flags, "--from="+stageName) {
		t.Errorf("final stage COPY %+v: want the binary only, --from=%s", copies, stageName)
	}
	for _, in := range final.steps {
		if in.cmd == "run" || in.cmd == "add" {
			t.Errorf("final stage line %d: %s in a distroless image (no shell)", in.line, strings.ToUpper(in.cmd))
		}
	}
}

// TestDockerignoreKeepsTheSources: .dockerignore (read with the matcher docker build
// uses) keeps out .git and bin/, and keeps every file the binary is built from.
func TestDockerignoreKeepsTheSources(t *testing.T) {
	f, err := os.Open(filepath.Join("..", ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path    string
		ignored bool
	}{
		{".git", true},
		{"bin/k8s/etcd", true},
		{"go.mod", false},
		{"go.sum", false},
		{"cmd/ngctl/main.go", false},
		{"api/v1/types.go", false},
		{"internal/engine/engine.go", false},
		{"schemas/crds/nodeguardian.k8s.io_nodeguardianrules.yaml", false},
		{"schemas/nodeguardian.schema.json", false},
	}
	for _, tc := range cases {
		got, err := pm.MatchesOrParentMatches(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.ignored {
			t.Errorf(".dockerignore: %s ignored = %v, want %v", tc.path, got, tc.ignored)
		}
	}
}
