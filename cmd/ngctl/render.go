package main

import (
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
			&cli.StringFlag{Name: "check", Usage: "check that the committed YAML manifests in `PATH` (file or directory) hold exactly the objects -f renders to; exit 1 with a diff when not"},
		},
		Action: func(c *cli.Context) error {
			if len(c.StringSlice("filename")) == 0 {
				return exitf(1, "render needs -f PATH (with --check COMMITTED: the source the committed YAML is rendered from)")
			}
			set, diags := load.Paths(c.StringSlice("filename"), c.App.Reader)
			if diags.HasErrors() {
				return exitf(1, "%s", diags.Errors().Error())
			}
			if check := c.String("check"); check != "" {
				return renderCheck(c, set, check)
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
