package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// version and commit are set by the Makefile's build with
//
//	-ldflags "-X main.version=$(git describe --tags --always --dirty) -X main.commit=$(git rev-parse HEAD)"
//
// for builds whose binary carries no module version or VCS stamp (go run, go build -buildvcs=false,
// a build outside the repository). They are the only package-level variables of ngctl, and
// nothing writes them at run time.
var (
	version = ""
	commit  = ""
)

// buildVersion is what ngctl version prints.
type buildVersion struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// readVersion prefers the build info the Go toolchain stamps into the binary (module
// version, vcs.revision, vcs.modified) and falls back to the -ldflags values, then to
// "devel" and "unknown".
func readVersion(bi *debug.BuildInfo, ldVersion, ldCommit string) buildVersion {
	v := buildVersion{GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	if v.Version == "" {
		v.Version = ldVersion
	}
	if v.Commit == "" {
		v.Commit = ldCommit
	}
	if v.Version == "" {
		v.Version = "devel"
	}
	if v.Commit == "" {
		v.Commit = "unknown"
	}
	return v
}

// currentVersion is the version of the running binary.
func currentVersion() buildVersion {
	bi, _ := debug.ReadBuildInfo()
	return readVersion(bi, version, commit)
}

func writeVersionText(w io.Writer, v buildVersion) error {
	modified := ""
	if v.Modified {
		modified = " (modified)"
	}
	_, err := fmt.Fprintf(w, "ngctl %s\ncommit %s%s\n%s %s\n", v.Version, v.Commit, modified, v.GoVersion, v.Platform)
	return err
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version and the commit ngctl was built from (also: ngctl --version)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "`FORMAT`: text or json"},
		},
		Action: func(c *cli.Context) error {
			v := currentVersion()
			switch c.String("output") {
			case "text":
				return writeVersionText(c.App.Writer, v)
			case "json":
				enc := json.NewEncoder(c.App.Writer)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(v)
			}
			return exitf(1, "unknown output %q (want text or json)", c.String("output"))
		},
	}
}

// versionFlag is ngctl --version.
func versionFlag() cli.Flag {
	return &cli.BoolFlag{Name: "version", Aliases: []string{"v"}, Usage: "print the version and exit"}
}

// rootAction runs for ngctl without a command: --version, or the help.
func rootAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return exitf(1, "unknown command %q; see ngctl --help for the commands", c.Args().First())
	}
	if c.Bool("version") {
		return writeVersionText(c.App.Writer, currentVersion())
	}
	return cli.ShowAppHelp(c)
}
