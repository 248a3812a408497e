package main

import (
	"runtime/debug"
	"testing"
)

func TestReadVersion(t *testing.T) {
	stamped := &debug.BuildInfo{
		Main:     debug.Module{Version: "v1.2.3"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}},
	}
	tests := []struct {
		name                string
		bi                  *debug.BuildInfo
		ldVersion, ldCommit string
		version, commit     string
		modified            bool
	}{
		{"build info wins", stamped, "v0-ld", "ld", "v1.2.3", "abc123", true},
		{"go run: ldflags", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "v1.0.0-3-gdeadbee", "deadbee", "v1.0.0-3-gdeadbee", "deadbee", false},
		{"nothing", nil, "", "", "devel", "unknown", false},
		{"module version without VCS stamp", &debug.BuildInfo{Main: debug.Module{Version: "v2.0.0"}}, "", "c0ffee", "v2.0.0", "c0ffee", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := readVersion(tt.bi, tt.ldVersion, tt.ldCommit)
			if v.Version != tt.version || v.Commit != tt.commit || v.Modified != tt.modified || v.GoVersion == "" || v.Platform == "" {
				t.Errorf("readVersion = %+v, want version %q commit %q modified %v", v, tt.version, tt.commit, tt.modified)
			}
		})
	}
}
