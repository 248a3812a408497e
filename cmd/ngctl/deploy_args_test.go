package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxcd/pkg/runtime/leaderelection"
	"github.com/urfave/cli/v2"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/nodeguardian/nodeguardian/deploy"
	"github.com/nodeguardian/nodeguardian/internal/notify"
)

// TestDeployedControllerArgs parses deploy/'s Deployment args with `ngctl controller`'s
// own flags and loads the --alert-config they name — the ConfigMap's file, at its mount
// — as the controller does (controllerOptions, then notify.LoadConfig and notify.New):
// the shipped base starts.
func TestDeployedControllerArgs(t *testing.T) {
	objs, err := deploy.Build()
	if err != nil {
		t.Fatal(err)
	}
	var d appsv1.Deployment
	configMaps := map[string]corev1.ConfigMap{}
	for _, o := range objs {
		switch o.GetKind() {
		case "Deployment":
			err = runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &d)
		case "ConfigMap":
			var cm corev1.ConfigMap
			err = runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &cm)
			configMaps[cm.Name] = cm
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	pod := d.Spec.Template.Spec
	c := pod.Containers[0]

	// Each ConfigMap volume's files, written where the kubelet would mount them (under a
	// temporary root); the args' paths rewritten to match.
	root := t.TempDir()
	var mounts []string
	for _, m := range c.VolumeMounts {
		for _, v := range pod.Volumes {
			if v.Name != m.Name || v.ConfigMap == nil {
				continue
			}
			cm, ok := configMaps[v.ConfigMap.Name]
			if !ok {
				t.Fatalf("volume %s: the base has no ConfigMap %s", v.Name, v.ConfigMap.Name)
			}
			dir := filepath.Join(root, m.MountPath)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for k, data := range cm.Data {
				if err := os.WriteFile(filepath.Join(dir, k), []byte(data), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			mounts = append(mounts, m.MountPath)
		}
	}
	args := append([]string{"ngctl"}, c.Args...)
	for i, a := range args {
		for _, m := range mounts {
			if j := strings.Index(a, m+"/"); j >= 0 {
				args[i] = a[:j] + filepath.Join(root, m) + a[j+len(m):]
			}
		}
	}

	cmd := controllerCommand()
	ran := false
	cmd.Action = func(c *cli.Context) error {
		ran = true
		o, err := controllerOptions(c, leaderelection.Options{})
		if err != nil {
			return err
		}
		if o.AlertConfig == "" {
			t.Error("the Deployment passes no --alert-config")
		}
		ncfg, err := notify.LoadConfig(o.AlertConfig, func(string) string { return "" })
		if err != nil {
			return err
		}
		_, err = notify.New(ncfg, notify.Options{})
		return err
	}
	app := &cli.App{Name: "ngctl", Commands: []*cli.Command{cmd}, Writer: io.Discard, ErrWriter: io.Discard,
		ExitErrHandler: func(*cli.Context, error) {}} // report, never os.Exit
	if err := app.Run(args); err != nil {
		t.Fatalf("ngctl %s: %v", strings.Join(args[1:], " "), err)
	}
	if !ran {
		t.Fatalf("ngctl %s: the controller command did not run", strings.Join(args[1:], " "))
	}
}
