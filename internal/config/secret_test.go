package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestSecretFormatting(t *testing.T) {
	s := Secret("hunter2")
	type holder struct {
		Token Secret
		Ptr   *Secret
	}
	h := holder{Token: s, Ptr: &s}
	jsonOut, _ := json.Marshal(h)
	yamlOut, _ := yaml.Marshal(h)
	text, _ := s.MarshalText()
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("x", "token", s, "holder", h)
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", s), "%s": fmt.Sprintf("%s", s), "%q": fmt.Sprintf("%q", s),
		"%x": fmt.Sprintf("%x", s), "%#v": fmt.Sprintf("%#v", s), "%+v struct": fmt.Sprintf("%+v", h),
		"%#v struct": fmt.Sprintf("%#v", h), "Sprint": fmt.Sprint(s, h), "json": string(jsonOut),
		"yaml": string(yamlOut), "text": string(text), "slog": logBuf.String(), "String": s.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%s leaks the secret: %s", name, out)
		}
		if !strings.Contains(out, "<redacted>") && !strings.Contains(out, `\u003credacted\u003e`) {
			t.Errorf("%s does not say <redacted>: %s", name, out)
		}
	}
	if s.Reveal() != "hunter2" || !s.IsSet() || Secret("").String() != "" || Secret("").IsSet() {
		t.Error("Reveal/IsSet/empty String")
	}
}

// TestSecretsNeverLeak loads configurations full of secrets, valid and broken, and checks
// that no secret shows in errors, rendered views, or the Resolved printed with fmt.
func TestSecretsNeverLeak(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "token")
	if err := os.WriteFile(secretFile, []byte("S3CRET-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	valid := `
		current-context: a
		contexts:
		  a:
		    environment: dev
		    prometheus:
		      url: http://p
		      bearerToken: S3CRET-prom
		    alertmanager:
		      url: http://a
		      bearerTokenFile: ` + secretFile + `
		    loki:
		      url: http://l
		      username: u
		      password: S3CRET-loki
		    platform:
		      url: http://pl
		      token: S3CRET-platform
		  b:
		    environment: dev
		    loki:
		      url: http://l
		      bearerToken: S3CRET-b
	`
	broken := []string{
		// Secrets in the wrong shape, next to their file, in bad URLs, in bad env values.
		"contexts:\n  a:\n    environment: dev\n    prometheus:\n      url: http://p\n      bearerToken: [S3CRET-list]\n",
		"contexts:\n  a:\n    environment: dev\n    prometheus:\n      url: http://p\n      bearerToken: {S3CRET-map: 1}\n",
		"contexts:\n  a:\n    environment: dev\n    platform: S3CRET-platform-as-string\n",
		"contexts:\n  a:\n    environment: dev\n    platform:\n      url: http://p\n      token: S3CRET-t\n      tokenFile: /nonexistent\n",
		"contexts:\n  a:\n    environment: dev\n    prometheus:\n      url: http://user:S3CRET-pw@p:9090\n",
		"contexts:\n  a:\n    environment: dev\n    prometheus:\n      url: \"http://p:S3CRET bad\"\n",
		"contexts:\n  a:\n    environment: dev\n    prometheus:\n      url: http://p/?token=S3CRET-q\n",
		"contexts:\n  a:\n    environment: dev\n    loki:\n      url: http://l\n      password: S3CRET-no-user\n",
	}
	envs := []map[string]string{
		{"VIGIE_PLATFORM_TOKEN": "S3CRET-env"},
		{"VIGIE_PLATFORM_TOKEN": "S3CRET-env", "VIGIE_CONTEXT": "b"}, // b has no platform section
		{"VIGIE_PROMETHEUS_URL": "http://u:S3CRET-envurl@h"},
	}
	check := func(what, out string) {
		t.Helper()
		if strings.Contains(out, "S3CRET") {
			t.Errorf("%s leaks a secret:\n%s", what, out)
		}
	}
	for i, env := range envs {
		r, err := load(t, valid, env, Overrides{})
		if err != nil {
			check(fmt.Sprintf("env %d error", i), err.Error())
			continue
		}
		for _, opts := range []RenderOptions{{}, {Minify: true}, {Format: "json"}} {
			out, err := r.Render(opts)
			if err != nil {
				t.Fatal(err)
			}
			check(fmt.Sprintf("env %d view %+v", i, opts), string(out))
		}
		check("fmt of Resolved", fmt.Sprintf("%+v %+v %+v %+v", r, *r.Context, *r.Context.Platform, *r.Context.Loki))
		if !strings.HasPrefix(r.Context.Platform.Token.Reveal(), "S3CRET") || !strings.HasPrefix(r.Context.Alertmanager.BearerToken.Reveal(), "S3CRET") {
			t.Fatal("secrets were not loaded")
		}
	}
	for i, y := range broken {
		_, err := load(t, y, nil, Overrides{})
		if err == nil {
			t.Fatalf("broken %d loaded", i)
		}
		check(fmt.Sprintf("broken %d", i), err.Error())
	}
}

func TestRender(t *testing.T) {
	r, err := load(t, baseConfig, map[string]string{"VIGIE_PROMETHEUS_URL": "http://env-prom"}, Overrides{Team: "search"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Render(RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# file: " + r.File.Path + "\n", "# current context: dev\n", "current-context: dev\n",
		"url: http://env-prom\n", "token: <redacted>\n", "team: search\n", "  prod:\n", "  search:\n", "timeout: 10s\n",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("view lacks %q:\n%s", want, out)
		}
	}
	min, err := r.Render(RenderOptions{Minify: true, Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Contexts map[string]any `json:"contexts"`
		Teams    map[string]any `json:"teams"`
	}
	if err := json.Unmarshal(min, &doc); err != nil {
		t.Fatalf("%v\n%s", err, min)
	}
	if len(doc.Contexts) != 1 || doc.Contexts["dev"] == nil || len(doc.Teams) != 1 || doc.Teams["search"] == nil {
		t.Errorf("minified JSON: %s", min)
	}
	if _, err := r.Render(RenderOptions{Format: "toml"}); err == nil {
		t.Error("toml accepted")
	}
	var none Resolved
	none.File.Config = emptyConfig()
	if _, err := none.Render(RenderOptions{Minify: true}); err == nil || !strings.Contains(err.Error(), "no context is selected") {
		t.Errorf("minify without context: %v", err)
	}
}
