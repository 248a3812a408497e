package plan

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// FuzzReadJSON feeds arbitrary bytes to ReadJSON, as `ngctl show` and `ngctl apply
// plan.json` do. ReadJSON may refuse them, with an error saying it could not read a
// plan, but never panics; a plan it reads renders in every format (`ngctl show`), and
// re-encodes to JSON that reads back equal and encodes the same again.
func FuzzReadJSON(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "render", "*.json"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no saved plans to seed from: %v", err)
	}
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"formatVersion":"3","createdAt":"2026-01-01T00:00:00+05:30","nodes":[{"node":"a","changes":[{"op":"add","kind":"alert","reason":""}]}]}`))
	f.Add([]byte(`{"formatVersion":"3","nodes":[{"node":"a","changes":[{"op":"add","kind":"evict","reason":"","pods":null}]}],"rules":[{"name":"r"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "read plan: ") {
				t.Fatalf("error does not say what failed: %q", err)
			}
			return
		}
		for _, render := range renderFormats() {
			if err := render.render(io.Discard, p); err != nil {
				t.Fatalf("a plan ReadJSON read does not render as %s: %v", render.suffix, err)
			}
		}
		var first, second bytes.Buffer
		if err := RenderJSON(&first, p); err != nil {
			t.Fatal(err)
		}
		encoded := first.String()
		back, err := ReadJSON(&first)
		if err != nil {
			t.Fatalf("the re-encoded plan does not read back: %v\n%s", err, encoded)
		}
		if diff := cmp.Diff(canonical(p), back, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Fatalf("the re-encoded plan reads back different (-want +got):\n%s", diff)
		}
		if err := RenderJSON(&second, back); err != nil || second.String() != encoded {
			t.Fatalf("encoding is not stable (%v):\n%s\n---\n%s", err, encoded, second.String())
		}
	})
}

// spaces is an endless reader of blanks.
type spaces struct{}

func (spaces) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = ' '
	}
	return len(b), nil
}

// TestReadJSONBoundsItsInput: ReadJSON stops reading after MaxJSONSize bytes (an
// endless input used to be read until memory ran out).
func TestReadJSONBoundsItsInput(t *testing.T) {
	tests := []struct {
		name string
		in   io.Reader
		want string
	}{
		{"endless", io.MultiReader(strings.NewReader(`{"formatVersion":"3"}`), spaces{}), "read plan: larger than 64 MiB"},
		{"at the limit", io.MultiReader(strings.NewReader(`{"formatVersion":"3"}`), io.LimitReader(spaces{}, MaxJSONSize-21)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadJSON(tt.in)
			if got := errorText(err); got != tt.want {
				t.Errorf("ReadJSON error = %q, want %q", got, tt.want)
			}
		})
	}
}

// errorText is err's message, "" for nil.
func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
