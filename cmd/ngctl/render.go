package main

import (
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/nodeguardian/nodeguardian/internal/load"
	"github.com/nodeguardian/nodeguardian/internal/render"
)

func renderCommand() *cli.Command {
	return &cli.Command{
		Name:  "render",
		Usage: "convert rules between HCL and YAML manifests (e.g. HCL-authored rules to CRDs for Flux)",
		Flags: []cli.Flag{
			rulesFileFlag(),
			outputFlag("yaml", "hcl"),
			&cli.StringFlag{Name: "check", Usage: "check that the committed YAML manifests in `PATH` (file or directory) hold exactly the objects their HCL source renders to " +
				"(-f SOURCE; without -f, the .hcl files under PATH); exit 1 with a diff when not"},
		},
		Action: func(c *cli.Context) error {
			check := c.String("check")
			sources := c.StringSlice("filename")
			committed, from, to := []string{check}, strings.Join(sources, " "), check
			if len(sources) == 0 && check != "" {
				var err error
				if sources, committed, err = splitSources(check); err != nil {
					return exitf(1, "%v", err)
				}
				from, to = "the HCL under "+check, "the YAML under "+check
			}
			if len(sources) == 0 {
				return exitf(1, "render needs -f PATH (with --check COMMITTED: the source the committed YAML is rendered from)")
			}
			set, diags := load.Paths(sources, c.App.Reader)
			if diags.HasErrors() {
				return exitf(1, "%s", diags.Errors().Error())
			}
			if check != "" {
				return renderCheck(c, set, from, committed, to)
			}
			var out []byte
			var err error
			switch c.String("output") {
			case "yaml":
				out, err = render.YAML(set.Rules, set.Templates)
			case "hcl":
				out, err = render.HCL(set.Rules, set.Templates)
			default:
				return exitf(1, "unknown output %q (want yaml or hcl)", c.String("output"))
			}
			if err != nil {
				return exitf(1, "render: %v", err)
			}
			_, err = c.App.Writer.Write(out)
			return err
		},
	}
}
