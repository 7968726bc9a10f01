package config

import (
	"os"
	"testing"

	"go.yaml.in/yaml/v3"
)

func fuzzSeeds(f *testing.F) {
	for _, name := range []string{"testdata/full.yaml", "testdata/broken.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{"", "current-context: a\n", "contexts:\n  a: &x {environment: dev}\n  b:\n    <<: [*x, *x]\n", "{a: [b, {c: d}]}", twoContexts} {
		f.Add([]byte(s))
	}
}

// FuzzParse checks that no input makes the decoder panic or return a nil Config.
func FuzzParse(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		p := parse("f.yaml", "/d", "/h", data)
		if p.cfg == nil || p.cfg.Contexts == nil || p.cfg.Teams == nil {
			t.Fatal("nil config")
		}
		_ = normalize(p.d.problems).Error()
	})
}

// FuzzSetCurrentContext checks that the text edit never panics and, on any document
// that decodes, either refuses or produces exactly the same document with only
// current-context changed.
func FuzzSetCurrentContext(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := setCurrentContext(data, "prod")
		if err != nil {
			return
		}
		var doc map[string]any
		if yaml.Unmarshal(data, &doc) != nil {
			return // SetCurrentContext refuses these before writing
		}
		if err := sameExceptCurrent(data, out, "prod"); err != nil {
			t.Fatalf("edit of %q gave %q: %v", data, out, err)
		}
	})
}
