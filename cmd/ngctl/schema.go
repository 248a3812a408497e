package main

import (
	"github.com/urfave/cli/v2"

	"github.com/nodeguardian/nodeguardian/schemas"
)

func schemaCommand() *cli.Command {
	return &cli.Command{
		Name:      "schema",
		Usage:     "print the CRDs (crds) or the JSON Schema of rule files (jsonschema)",
		ArgsUsage: "crds|jsonschema",
		Action: func(c *cli.Context) error {
			switch what := c.Args().First(); what {
			case "crds", "":
				crds, err := schemas.CRDs()
				if err != nil {
					return err
				}
				for _, crd := range crds {
					if _, err := c.App.Writer.Write(crd); err != nil {
						return err
					}
				}
				return nil
			case "jsonschema":
				_, err := c.App.Writer.Write(schemas.JSONSchema)
				return err
			default:
				return exitf(1, "unknown schema %q (want crds or jsonschema)", what)
			}
		},
	}
}
