package strictjson

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

type inner struct {
	Key string `json:"key"`
}

type doc struct {
	Name  string                     `json:"name"`
	At    time.Time                  `json:"at"`
	Items []inner                    `json:"items"`
	Map   map[string]string          `json:"map"`
	Raw   map[string]json.RawMessage `json:"raw"`
}

// TestCheckKeys: keys in another case, unknown keys and keys given twice are refused at
// every level with the line and path; values of types with their own decoder are not
// looked into.
func TestCheckKeys(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"name":"a","at":"2026-01-01T00:00:00Z","items":[{"key":"k"}],"map":{"a":"1"},"raw":{"x":{"y":1,"y":2}}}`, ""},
		{`{"Name":"a"}`, `line 1: the doc: unknown field "Name" (field names are case-sensitive: "name")`},
		{`{"name":"a",` + "\n" + `"name":"b"}`, `line 2: the doc: field "name" appears twice`},
		{`{"items":[{"key":"k"},{"key":"a","KEY":"b"}]}`, `items[1]: unknown field "KEY"`},
		{`{"map":{"a":"1","a":"2"}}`, `map: field "a" appears twice`},
		{`{"raw":{"x":1,"x":2}}`, `raw: field "x" appears twice`},
		{`{"extra":1}`, `unknown field "extra"`},
	}
	for _, tt := range tests {
		err := CheckKeys([]byte(tt.in), reflect.TypeFor[doc](), "the doc")
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("CheckKeys(%s) = %v, want %q", tt.in, err, tt.want)
		}
	}
	deep := strings.Repeat("[", 40) + strings.Repeat("]", 40)
	if err := CheckKeys([]byte(deep), nil, "x"); err == nil || !strings.Contains(err.Error(), "nested deeper than 32 levels") {
		t.Errorf("CheckKeys(40 levels) = %v", err)
	}
}
