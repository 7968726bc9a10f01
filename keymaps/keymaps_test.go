package keymaps

import (
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

var (
	_ help.KeyMap = GlobalKeyMap{}
	_ help.KeyMap = TableKeyMap{}
	_ help.KeyMap = WorkloadsKeyMap{}
	_ help.KeyMap = LogsKeyMap{}
	_ help.KeyMap = AlertsKeyMap{}
	_ help.KeyMap = Screen{}
)

func TestDefaultsHaveNoConflict(t *testing.T) {
	s := Default()
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestEveryBindingIsNamed checks that Actions covers every key.Binding field of every key
// map, once, with a unique scope.action name, keys in canonical form and help text.
func TestEveryBindingIsNamed(t *testing.T) {
	s := Default()
	acts := s.Actions()
	byPtr := map[*key.Binding]string{}
	names := map[string]bool{}
	for _, a := range acts {
		if names[a.Name] {
			t.Errorf("duplicate action name %s", a.Name)
		}
		names[a.Name] = true
		byPtr[a.Binding] = a.Name
		scope, action, ok := strings.Cut(a.Name, ".")
		if !ok || scope == "" || action == "" || strings.ToLower(a.Name) != a.Name {
			t.Errorf("action name %q is not scope.action in lower case", a.Name)
		}
		h := a.Binding.Help()
		if h.Key == "" || h.Desc == "" {
			t.Errorf("%s has no help text: %+v", a.Name, h)
		}
		if len(a.Binding.Keys()) == 0 || !a.Binding.Enabled() {
			t.Errorf("%s has no key or is disabled", a.Name)
		}
		for _, k := range a.Binding.Keys() {
			if nk, err := NormalizeKey(k); err != nil || nk != k {
				t.Errorf("%s: default key %q is not canonical (%q, %v)", a.Name, k, nk, err)
			}
		}
		if IsDangerous(a.Name) != strings.HasPrefix(h.Desc, DangerMark+" ") {
			t.Errorf("%s: danger mark in help %q does not match Dangerous()", a.Name, h.Desc)
		}
	}
	maps := []struct {
		prefix string
		v      reflect.Value
	}{
		{"global.", reflect.ValueOf(&s.Global).Elem()},
		{"table.", reflect.ValueOf(&s.Table).Elem()},
		{"workloads.", reflect.ValueOf(&s.Workloads).Elem()},
		{"logs.", reflect.ValueOf(&s.Logs).Elem()},
		{"alerts.", reflect.ValueOf(&s.Alerts).Elem()},
		{"home.", reflect.ValueOf(&s.Home).Elem()},
		{"metrics.", reflect.ValueOf(&s.Metrics).Elem()},
		{"query.", reflect.ValueOf(&s.Query).Elem()},
		{"jobs.", reflect.ValueOf(&s.Jobs).Elem()},
	}
	total := 0
	for _, m := range maps {
		for i := 0; i < m.v.NumField(); i++ {
			f := m.v.Field(i)
			if f.Type() != reflect.TypeOf(key.Binding{}) {
				continue
			}
			total++
			name, ok := byPtr[f.Addr().Interface().(*key.Binding)]
			if !ok {
				t.Errorf("%s%s has no action name", m.prefix, m.v.Type().Field(i).Name)
			} else if !strings.HasPrefix(name, m.prefix) {
				t.Errorf("%s is named %s, outside its scope", m.v.Type().Field(i).Name, name)
			}
		}
	}
	if total != len(acts) {
		t.Errorf("%d bindings, %d actions", total, len(acts))
	}
	if !slices.Equal(Names(), actionNames(acts)) {
		t.Error("Names() differs from Default().Actions()")
	}
	for _, d := range Dangerous() {
		if !names[d] {
			t.Errorf("dangerous action %s does not exist", d)
		}
	}
}

func actionNames(acts []Action) []string {
	var out []string
	for _, a := range acts {
		out = append(out, a.Name)
	}
	return out
}

func press(code rune, text string, mod tea.KeyMod) tea.KeyPressMsg {
	return tea.KeyPressMsg{Code: code, Text: text, Mod: mod}
}

// TestDefaultsMatchTeaKeys checks the keys against the strings Bubble Tea v2 produces.
func TestDefaultsMatchTeaKeys(t *testing.T) {
	s := Default()
	cases := []struct {
		msg  tea.KeyPressMsg
		want key.Binding
		name string
	}{
		{press('c', "", tea.ModCtrl), s.Global.Quit, "ctrl+c"},
		{press('q', "q", 0), s.Global.Quit, "q"},
		{press(tea.KeyEscape, "", 0), s.Global.Back, "esc"},
		{press(tea.KeyUp, "", 0), s.Table.Up, "up"},
		{press(tea.KeyPgDown, "", 0), s.Table.PageDown, "pgdown"},
		{press('g', "G", tea.ModShift), s.Table.Bottom, "G"},
		{press('r', "R", tea.ModShift), s.Workloads.Restart, "R"},
		{press('s', "", tea.ModCtrl), s.Logs.Save, "ctrl+s"},
		{press(tea.KeyEnter, "", 0), s.Workloads.Open, "enter"},
	}
	for _, c := range cases {
		if !key.Matches(c.msg, c.want) {
			t.Errorf("%s (%q) does not match %v", c.name, c.msg.String(), c.want.Keys())
		}
	}
	if key.Matches(press('r', "r", 0), s.Workloads.Restart) {
		t.Error("lowercase r triggers restart")
	}
}

func TestApplyOverride(t *testing.T) {
	s := Default()
	err := s.Apply(map[string][]string{
		"workloads.restart": {"ctrl+x"},
		"global.refresh":    {"F5", "ctrl+r"},
		"table.down":        {"down", "j", "shift+j"},
		"logs.zoom":         {},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Workloads.Restart.Keys(); !slices.Equal(got, []string{"ctrl+x"}) {
		t.Errorf("restart keys = %v", got)
	}
	if h := s.Workloads.Restart.Help(); h.Key != "ctrl+x" || h.Desc != DangerMark+" restart" {
		t.Errorf("restart help = %+v", h)
	}
	if h := s.Global.Refresh.Help(); h.Key != "f5/ctrl+r" || !slices.Equal(s.Global.Refresh.Keys(), []string{"f5", "ctrl+r"}) {
		t.Errorf("refresh = %v %+v", s.Global.Refresh.Keys(), h)
	}
	if h := s.Table.Down.Help(); h.Key != "↓/j/J" {
		t.Errorf("down help = %+v", h)
	}
	if s.Logs.Zoom.Enabled() {
		t.Error("logs.zoom with no keys is still enabled")
	}
	if !key.Matches(press(tea.KeyF5, "", 0), s.Global.Refresh) {
		t.Error("F5 does not refresh")
	}
	if !key.Matches(press('x', "", tea.ModCtrl), s.Workloads.Restart) || key.Matches(press('r', "R", tea.ModShift), s.Workloads.Restart) {
		t.Error("restart did not move to ctrl+x")
	}
	found := false
	for _, b := range s.WorkloadsHelp().ShortHelp() {
		found = found || b.Help().Key == "f5/ctrl+r"
	}
	for _, g := range s.WorkloadsHelp().FullHelp() {
		for _, b := range g {
			found = found || b.Help().Key == "ctrl+x"
		}
	}
	if !found {
		t.Error("help does not show the overridden keys")
	}
	if other := Default(); !slices.Equal(other.Workloads.Restart.Keys(), []string{"R"}) {
		t.Error("overriding one set changed the defaults")
	}
}

func TestApplySwapNeedsNoIntermediateState(t *testing.T) {
	s := Default()
	if err := s.Apply(map[string][]string{"logs.follow": {"w"}, "logs.wrap": {"f"}}); err != nil {
		t.Fatal(err)
	}
}

func TestApplyUnknownAction(t *testing.T) {
	cases := map[string]string{
		"workload.restart": "workloads.restart",
		"restart":          "workloads.restart",
		"global.quitt":     "global.quit",
		"table.pagedown":   "table.page-down",
	}
	for name, want := range cases {
		s := Default()
		err := s.Apply(map[string][]string{name: {"x"}})
		var ue *UnknownActionError
		if !errors.As(err, &ue) || ue.Name != name || ue.Suggestion != want {
			t.Errorf("Apply(%q) = %v, want a suggestion of %q", name, err, want)
			continue
		}
		if !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks the name or the suggestion", err)
		}
	}
}

func TestApplyBadKey(t *testing.T) {
	for _, k := range []string{"", "ctrl+", "hyperdrive+x", "gg", "ctrl+ctrl+x", "shift+1", "\t", "f64", "ctrl+foo"} {
		s := Default()
		err := s.Apply(map[string][]string{"global.help": {k}})
		var ke *KeyError
		if !errors.As(err, &ke) || ke.Action != "global.help" {
			t.Errorf("key %q: got %v, want a KeyError", k, err)
		}
		if !slices.Equal(s.Global.Help.Keys(), []string{"?"}) {
			t.Errorf("key %q: failed Apply changed the set", k)
		}
	}
}

func TestApplyConflict(t *testing.T) {
	cases := []struct {
		overrides map[string][]string
		key, a, b string
	}{
		// a view key against a global one
		{map[string][]string{"logs.follow": {"q"}}, "q", "global.quit", "logs.follow"},
		// two keys of the same view
		{map[string][]string{"workloads.yaml": {"d"}}, "d", "workloads.describe", "workloads.yaml"},
		// a view key against the table keys it shares a screen with
		{map[string][]string{"alerts.metrics": {"ctrl+d"}}, "ctrl+d", "table.half-page-down", "alerts.metrics"},
		// two globals, after normalisation
		{map[string][]string{"global.help": {"ESCAPE"}}, "esc", "global.help", "global.back"},
	}
	for _, c := range cases {
		s := Default()
		err := s.Apply(c.overrides)
		var ce *ConflictError
		if !errors.As(err, &ce) {
			t.Errorf("%v: got %v, want a conflict", c.overrides, err)
			continue
		}
		pair := []string{ce.Actions[0], ce.Actions[1]}
		if ce.Key != c.key || !slices.Contains(pair, c.a) || !slices.Contains(pair, c.b) {
			t.Errorf("%v: conflict %+v, want %s between %s and %s", c.overrides, ce, c.key, c.a, c.b)
		}
		for _, w := range []string{c.key, c.a, c.b} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q lacks %q", err, w)
			}
		}
		if err := s.Check(); err != nil {
			t.Errorf("failed Apply left a conflict in the set: %v", err)
		}
	}
}

func TestSameKeyOnDifferentScreensIsNoConflict(t *testing.T) {
	s := Default()
	// Scale (workloads) and silence (alerts) are never live together: one key may serve both.
	if err := s.Apply(map[string][]string{"workloads.scale": {"S"}, "alerts.silence": {"S"}}); err != nil {
		t.Fatalf("same key on two screens: %v", err)
	}
	// r sorts tables and is free on the logs screen.
	if err := s.Apply(map[string][]string{"logs.wrap": {"r"}}); err != nil {
		t.Fatal(err)
	}
}

func TestReadOnly(t *testing.T) {
	s := Default()
	s.ApplyReadOnly()
	for _, a := range s.Actions() {
		if a.Binding.Enabled() == IsDangerous(a.Name) {
			t.Errorf("%s enabled=%v after ApplyReadOnly", a.Name, a.Binding.Enabled())
		}
	}
	if key.Matches(press('r', "R", tea.ModShift), s.Workloads.Restart) {
		t.Error("disabled restart still matches")
	}

	shown := map[string]bool{}
	keymaps := []help.KeyMap{s.Workloads, s.Alerts, s.WorkloadsHelp(), s.AlertsHelp(), s.LogsHelp(), s.ListHelp()}
	for _, km := range keymaps {
		for _, b := range km.ShortHelp() {
			shown[b.Help().Desc] = shown[b.Help().Desc] || b.Enabled()
		}
		for _, col := range km.FullHelp() {
			for _, b := range col {
				shown[b.Help().Desc] = shown[b.Help().Desc] || b.Enabled()
			}
		}
	}
	for desc, on := range shown {
		if on && strings.HasPrefix(desc, DangerMark) {
			t.Errorf("dangerous %q still offered by the help", desc)
		}
	}

	// What the bubbles help component actually renders.
	h := help.New()
	h.ShowAll = true
	for _, km := range keymaps {
		out := h.View(km)
		for _, w := range []string{"restart", "scale", "rollback", "silence", "Guarded"} {
			if strings.Contains(out, w) {
				t.Errorf("read-only help shows %q:\n%s", w, out)
			}
		}
	}
	for _, g := range s.WorkloadsHelp().Groups {
		if g.Title == TitleDangerous {
			t.Error("the guarded group survives read-only mode")
		}
	}
}

func TestHelpScreens(t *testing.T) {
	s := Default()
	h := help.New()
	h.ShowAll = true
	out := h.View(s.WorkloadsHelp())
	for _, w := range []string{"restart", "scale", "rollback", "describe", "reverse sort", "quit", "R", "ctrl+d"} {
		if !strings.Contains(out, w) {
			t.Errorf("workloads help lacks %q:\n%s", w, out)
		}
	}
	out = h.View(s.LogsHelp())
	for _, w := range []string{"search", "next match", "follow", "save to file", "ctrl+s", "half page down"} {
		if !strings.Contains(out, w) {
			t.Errorf("logs help lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "reverse sort") || regexp.MustCompile(`/\S*\s+filter`).MatchString(ansi.Strip(out)) {
		t.Errorf("logs help shows table-only keys:\n%s", out)
	}
	if !strings.Contains(out, "filter lines") {
		t.Errorf("logs help lacks its own line filter:\n%s", out)
	}
	wh := s.WorkloadsHelp()
	var titles []string
	for _, g := range wh.Groups {
		titles = append(titles, g.Title)
	}
	if !slices.Equal(titles, []string{TitleActions, TitleDangerous, TitleNavigation, TitleList, TitleGeneral}) {
		t.Errorf("workloads help groups = %v", titles)
	}
	short := help.New().View(s.WorkloadsHelp())
	if !strings.Contains(short, "?") || !strings.Contains(short, "open") {
		t.Errorf("short help = %q", short)
	}
}
