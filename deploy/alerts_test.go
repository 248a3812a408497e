package deploy

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/nodeguardian/nodeguardian/internal/notify"
)

// secretsDir is where the Deployment mounts the Secret nodeguardian-alert-secrets.
const secretsDir = "/etc/nodeguardian/secrets"

// alertConfigArg returns the value of the container's --alert-config flag (either
// form), failing unless there is exactly one.
func alertConfigArg(t *testing.T, args []string) string {
	t.Helper()
	var got []string
	for i, a := range args {
		switch {
		case strings.HasPrefix(a, "--alert-config="):
			got = append(got, strings.TrimPrefix(a, "--alert-config="))
		case a == "--alert-config" && i+1 < len(args):
			got = append(got, args[i+1])
		}
	}
	if len(got) != 1 {
		t.Fatalf("args %q: want one --alert-config, have %q", args, got)
	}
	return got[0]
}

// mountedConfigMapFile resolves a path in the container to the ConfigMap volume mounted
// over it and the key it shows there; it fails when no ConfigMap is mounted there, or
// when the volume is optional (a missing file would stop the controller).
func mountedConfigMapFile(t *testing.T, pod corev1.PodSpec, c corev1.Container, file string) (name, key string) {
	t.Helper()
	for _, m := range c.VolumeMounts {
		rel, ok := strings.CutPrefix(file, strings.TrimSuffix(m.MountPath, "/")+"/")
		if !ok || m.SubPath != "" {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name != m.Name {
				continue
			}
			if v.ConfigMap == nil {
				t.Fatalf("%s is on volume %s, which is not a ConfigMap", file, v.Name)
			}
			if v.ConfigMap.Optional != nil && *v.ConfigMap.Optional {
				t.Fatalf("%s is on the optional ConfigMap volume %s: the controller stops without it", file, v.Name)
			}
			key = rel
			for _, it := range v.ConfigMap.Items {
				if it.Path == rel {
					key = it.Key
				}
			}
			return v.ConfigMap.Name, key
		}
	}
	t.Fatalf("no volume is mounted over %s: %+v", file, c.VolumeMounts)
	return "", ""
}

// containerEnv is the container's environment as the controller sees it, for the
// variables that alert configuration reads (literal values only; none is expected).
func containerEnv(c corev1.Container) func(string) string {
	return func(name string) string {
		for _, e := range c.Env {
			if e.Name == name {
				return e.Value
			}
		}
		return ""
	}
}

// shippedAlertConfig writes the Deployment's --alert-config file, from the ConfigMap it
// is mounted from, into a temporary folder and returns its path there.
func shippedAlertConfig(t *testing.T) (file string, c corev1.Container) {
	t.Helper()
	var d appsv1.Deployment
	object(t, "Deployment", Namespace, "nodeguardian-controller", &d)
	pod := d.Spec.Template.Spec
	c = pod.Containers[0]
	arg := alertConfigArg(t, c.Args)
	if !path.IsAbs(arg) {
		t.Fatalf("--alert-config=%s: want an absolute path", arg)
	}
	name, key := mountedConfigMapFile(t, pod, c, arg)
	var cm corev1.ConfigMap
	object(t, "ConfigMap", Namespace, name, &cm)
	data, ok := cm.Data[key]
	if !ok {
		t.Fatalf("ConfigMap %s has no key %s (--alert-config=%s)", name, key, arg)
	}
	file = filepath.Join(t.TempDir(), filepath.Base(arg))
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return file, c
}

// TestShippedAlertConfigStartsTheController: the file --alert-config names is the
// ConfigMap's, and the controller's loader (notify.LoadConfig, then notify.New, as
// `ngctl controller` does) accepts it with the container's environment: no external
// channel, alerts go to the log.
func TestShippedAlertConfigStartsTheController(t *testing.T) {
	file, c := shippedAlertConfig(t)
	for _, e := range c.Env {
		if strings.HasPrefix(e.Name, "ALERT_") || strings.HasPrefix(e.Name, "SMTP_") {
			t.Errorf("env %s: the base configures alerts in the ConfigMap only", e.Name)
		}
	}
	cfg, err := notify.LoadConfig(file, containerEnv(c))
	if err != nil {
		t.Fatalf("the shipped alert config does not load: %v", err)
	}
	if _, err := notify.New(cfg, notify.Options{}); err != nil {
		t.Fatalf("the shipped alert config: %v", err)
	}
	if got := cfg.Channels(); !slices.Equal(got, []string{notify.ChannelLog}) {
		t.Errorf("channels = %q, want the log only", got)
	}
	// Without the file the controller would not start: hence a required volume.
	if _, err := notify.LoadConfig(filepath.Join(t.TempDir(), "config.yaml"), nil); err == nil {
		t.Error("a missing --alert-config file loads: the test's premise is wrong")
	}
}

// TestShippedAlertConfigExample: the commented example in the ConfigMap, uncommented,
// loads, and names its secrets under the Secret's mount.
func TestShippedAlertConfigExample(t *testing.T) {
	file, c := shippedAlertConfig(t)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var example []string
	in := false
	for _, l := range strings.Split(string(data), "\n") {
		in = in || l == "# email:"
		if in {
			example = append(example, strings.TrimPrefix(strings.TrimPrefix(l, "#"), " "))
		}
	}
	if len(example) == 0 {
		t.Fatal("the ConfigMap's config.yaml has no commented example starting with `# email:`")
	}
	text := strings.Join(example, "\n")
	secrets := t.TempDir()
	for _, f := range []struct{ name, content string }{
		{"smtp-password", "hunter2"},
		{"slack-webhook-url", "https://hooks.slack.com/services/T0/B0/x"},
		{"webhook-hmac-key", "key"},
	} {
		if !strings.Contains(text, secretsDir+"/"+f.name) {
			t.Errorf("the example does not name %s/%s", secretsDir, f.name)
		}
		if err := os.WriteFile(filepath.Join(secrets, f.name), []byte(f.content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	mounted := false
	for _, m := range c.VolumeMounts {
		mounted = mounted || m.MountPath == secretsDir
	}
	if !mounted {
		t.Errorf("nothing is mounted at %s, which the example names", secretsDir)
	}
	exampleFile := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(exampleFile, []byte(strings.ReplaceAll(text, secretsDir, secrets)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := notify.LoadConfig(exampleFile, nil)
	if err != nil {
		t.Fatalf("the commented example does not load: %v\n%s", err, text)
	}
	want := []string{notify.ChannelEmail, notify.ChannelSlack, notify.ChannelWebhook, notify.ChannelLog}
	if got := cfg.Channels(); !slices.Equal(got, want) {
		t.Errorf("the example's channels = %q, want %q", got, want)
	}
}
