package audit

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-dev/vigie/keymaps"
	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/themes"
	"github.com/vigie-dev/vigie/views"
	"github.com/vigie-dev/vigie/views/table"
)

func visibleSeqs(v *View) []int64 {
	var out []int64
	for i := range v.list.Len() {
		out = append(out, v.byID[v.list.VisibleRow(i).ID].Seq)
	}
	return out
}

func mustContain(t *testing.T, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Fatalf("screen lacks %q:\n%s", w, s)
		}
	}
}

func loaded(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, themes.Dark(), fixture())
	h.enter()
	return h
}

func TestNewestFirstWithOutcomeTones(t *testing.T) {
	h := loaded(t)
	if got, want := visibleSeqs(h.v), []int64{57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46}; !slices.Equal(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
	want := map[int64]struct {
		text string
		tone table.Tone
	}{
		57: {"succeeded", table.ToneOK},
		56: {"requested", table.ToneMuted},
		53: {"forbidden", table.ToneDanger},
		52: {"reason_required", table.ToneDanger},
		51: {"failed: timeout", table.ToneDanger},
		49: {"pending_approval", table.ToneWarning},
		48: {"unauthenticated", table.ToneDanger},
	}
	for i := range h.v.list.Len() {
		r := h.v.list.VisibleRow(i)
		seq := h.v.byID[r.ID].Seq
		if w, ok := want[seq]; ok {
			if c := r.Cells[colOutcome]; c.Text != w.text || c.Tone != w.tone {
				t.Errorf("#%d outcome = %q %v, want %q %v", seq, c.Text, c.Tone, w.text, w.tone)
			}
		}
	}
	// Today's records read as the time of day, older ones with their date.
	s := screen(h.v, 120, 20)
	mustContain(t, s, "14:28:41", "Nov 25 18:45", "TIME↓")
	// Reversing the sort puts the oldest first.
	h.Press("r")
	if got := visibleSeqs(h.v); got[0] != 46 || got[len(got)-1] != 57 {
		t.Fatalf("reversed order = %v", got)
	}
}

func TestDryRunsAreMarked(t *testing.T) {
	h := loaded(t)
	for i := range h.v.list.Len() {
		r := h.v.list.VisibleRow(i)
		rec := h.v.byID[r.ID]
		kind := r.Cells[colKind].Text
		if rec.DryRun != strings.HasSuffix(kind, " (dry run)") {
			t.Errorf("#%d dry run %v, kind %q", rec.Seq, rec.DryRun, kind)
		}
	}
	mustContain(t, screen(h.v, 80, 24), "scale (dry run)")
	h.Press("down", "down", "enter")
	mustContain(t, screen(h.v, 80, 40), "#55", "Kind        scale (dry run)", "dry run: deploy/checkout would scale")
}

func TestFilterByTextAndLabels(t *testing.T) {
	h := loaded(t)
	h.Press("/")
	if !h.v.Capturing() {
		t.Fatal("the filter prompt has the keyboard")
	}
	h.Type("fraud")
	h.Press("enter")
	if got := visibleSeqs(h.v); !slices.Equal(got, []int64{52, 51, 50}) {
		t.Fatalf("target filter kept %v", got)
	}
	mustContain(t, screen(h.v, 120, 10), "/fraud", "[3 of 12]")
	cases := []struct {
		filter string
		want   []int64
	}{
		{"catalogue", []int64{49}},            // the reason
		{"carol search/indexer", []int64{49}}, // the user and the target
		{"-l user=bob", []int64{52, 51, 50}},
		{"-l kind=scale,team=payments", []int64{57, 56, 55, 54, 52}},
		{"-l team=search", []int64{49, 47, 46}},
		{"-l outcome=denied", []int64{53, 48}},
		{"-l outcome in (succeeded,failed)", []int64{57, 55, 51, 47}},
		{"-l outcome=invalid", []int64{52}},
		{"-l outcome=pending_approval", []int64{49}},
		{"-l code=forbidden", []int64{53}},
		{"-l dryrun", []int64{55, 54}},
		{"-l !user", []int64{48}},
	}
	for _, c := range cases {
		h.v.list.SetFilter(c.filter)
		if h.v.list.FilterError() != "" {
			t.Fatalf("%s: %s", c.filter, h.v.list.FilterError())
		}
		if got := visibleSeqs(h.v); !slices.Equal(got, c.want) {
			t.Errorf("filter %q kept %v, want %v", c.filter, got, c.want)
		}
	}
	if _, ok := h.v.Escape(); !ok || h.v.list.Len() != 12 {
		t.Fatal("escape clears the filter")
	}
	// The route's filter is the first filter.
	h2 := newHarness(t, themes.Dark(), fixture())
	h2.v = New(h2.v.env, views.Route{Screen: views.ScreenAudit, Filter: "-l user=alice"})
	h2.enter()
	if got := visibleSeqs(h2.v); !slices.Equal(got, []int64{57, 56, 55, 54}) {
		t.Fatalf("route filter kept %v", got)
	}
}

func TestDetailHasEveryField(t *testing.T) {
	h := loaded(t)
	h.Press("enter")
	if h.v.detail == nil || h.v.detail.rec.Seq != 57 {
		t.Fatal("enter opens the selected record")
	}
	if h.v.Title() != "audit · #57" || h.v.Capturing() {
		t.Fatalf("title %q", h.v.Title())
	}
	rec := h.v.detail.rec
	s := screen(h.v, 120, 60)
	mustContain(t, s, "audit #57 · alice · scale payments/checkout  succeeded",
		"Seq         57", "ID          "+rec.ID, "Time        2026-11-26 14:28:41.000 UTC (79s ago)",
		"Type        outcome", "Request ID  req_7c1e0b9a", "Action ID   act_5d2f41aa", "User        alice",
		"Token ID    tok_alice01", "Team        payments", "Role        oncall", "Kind        scale",
		"Target      payments/checkout", "Params      replicas=5",
		"Reason      Black Friday traffic: scale ahead of the 15:00 campaign", "Status      succeeded",
		"Code        -", "Message     deploy/checkout scaled from 3 to 5 replicas",
		"Changes", "spec.replicas: 3 → 5",
		"Prev hash   "+rec.PrevHash[:12]+"…", "Hash        "+rec.Hash[:12]+"…")
	if strings.Contains(s, rec.Hash[:13]) {
		t.Fatal("hashes are shortened to 12 characters")
	}
	// The table's navigation keys scroll the pane; at 80×24 the chain is below the fold.
	if strings.Contains(screen(h.v, 80, 24), "Hash        ") {
		t.Fatal("the hash is below the fold at 80×24")
	}
	h.Press("G")
	mustContain(t, screen(h.v, 80, 24), "Hash        "+rec.Hash[:12]+"…")
	h.Press("g")
	mustContain(t, screen(h.v, 80, 24), "Outcome     succeeded")
	// A multi-line message keeps its lines; a record without changes says so.
	h.v.Escape()
	h.Press("down", "down", "down", "down", "down", "down", "enter")
	mustContain(t, screen(h.v, 120, 60), "Code        timeout",
		"Message     the rollout did not finish within 60s", "            last event: Back-off", "none recorded")
	if _, ok := h.v.Escape(); !ok || h.v.detail != nil || h.v.Title() != "audit" {
		t.Fatal("escape closes the details")
	}
	if _, ok := h.v.Escape(); ok {
		t.Fatal("with no details and no filter, escape goes back (root)")
	}
}

func TestFirstLoadFollowsNext(t *testing.T) {
	h := newHarness(t, themes.Dark(), generated(230))
	h.enter()
	if want := []string{" 0", " 181", " 131", " 81"}; !slices.Equal(h.srv.calls, want) {
		t.Fatalf("calls = %q, want %q", h.srv.calls, want)
	}
	if h.v.list.Total() != 200 || visibleSeqs(h.v)[0] != 230 || visibleSeqs(h.v)[199] != 31 {
		t.Fatalf("%d records", h.v.list.Total())
	}
	mustContain(t, screen(h.v, 80, 5), "audit [200+] ● live (refreshed 0s ago)")
	// A log shorter than four pages stops at its end.
	h2 := newHarness(t, themes.Dark(), generated(60))
	h2.enter()
	if want := []string{" 0", " 11"}; !slices.Equal(h2.srv.calls, want) || h2.v.list.Total() != 60 {
		t.Fatalf("calls = %q, %d records", h2.srv.calls, h2.v.list.Total())
	}
	mustContain(t, screen(h2.v, 80, 5), "audit [60] ")
}

func TestRefreshEvery15TicksMergesNewRecords(t *testing.T) {
	h := newHarness(t, themes.Dark(), generated(230))
	h.enter()
	h.Press("down", "down") // on #228
	h.srv.calls = nil
	newer := chain(generated(233)[:3], 231)
	for i := range newer {
		newer[i].Time = testNow.Add(time.Duration(newer[i].Seq-230) * time.Second)
	}
	h.srv.prepend(newer)
	h.tick(14)
	if len(h.srv.calls) != 0 {
		t.Fatalf("refreshed after 14 ticks: %q", h.srv.calls)
	}
	h.tick(1)
	if want := []string{" 0"}; !slices.Equal(h.srv.calls, want) {
		t.Fatalf("refresh calls = %q, want %q: one page meets the records shown", h.srv.calls, want)
	}
	seqs := visibleSeqs(h.v)
	if len(seqs) != 200 || seqs[0] != 233 || seqs[199] != 34 {
		t.Fatalf("after the refresh: %d records, %d..%d", len(seqs), seqs[0], seqs[len(seqs)-1])
	}
	if r, _ := h.v.list.Selected(); h.v.byID[r.ID].Seq != 228 {
		t.Fatalf("the cursor left its record for #%d", h.v.byID[r.ID].Seq)
	}
	mustContain(t, screen(h.v, 80, 5), "● live (refreshed 0s ago)")
	h.tick(4)
	mustContain(t, screen(h.v, 80, 5), "● live (refreshed 4s ago)")
	// More new records than four pages: the newest 200 replace those shown.
	h.srv.calls = nil
	h.srv.records = generated(700)
	h.tick(11)
	if len(h.srv.calls) != 4 || visibleSeqs(h.v)[0] != 700 || h.v.list.Total() != 200 {
		t.Fatalf("calls %q, first #%d", h.srv.calls, visibleSeqs(h.v)[0])
	}
	// The global refresh key reads at once.
	h.srv.calls = nil
	h.Press("ctrl+r")
	if len(h.srv.calls) != 1 {
		t.Fatalf("refresh key: calls %q", h.srv.calls)
	}
}

func TestStaleAfterAFailedRefresh(t *testing.T) {
	h := loaded(t)
	h.srv.err = errors.New("platform GET /v1/audit: 503 unavailable: cannot read the audit log now")
	h.tick(15)
	want := "STALE ⚠ last data 15s ago: audit log: platform GET /v1/audit: 503 unavailable: cannot read the audit log now"
	s := screen(h.v, 200, 10)
	mustContain(t, s, want, "14:28:41")
	if strings.Contains(s, "live") {
		t.Fatalf("a stale screen is not live:\n%s", s)
	}
	// Narrow: the marker gets a line of its own.
	lines := strings.Split(screen(h.v, 80, 24), "\n")
	if len(lines) > 24 || !strings.HasPrefix(lines[1], "STALE ⚠ last data 15s ago") {
		t.Fatalf("the marker belongs on the second line:\n%s", strings.Join(lines, "\n"))
	}
	// The detail pane says so too.
	h.Press("enter")
	mustContain(t, screen(h.v, 200, 10), "STALE ⚠ last data 15s ago")
	h.v.Escape()
	// Recovered: live again.
	h.srv.err = nil
	h.tick(15)
	s = screen(h.v, 200, 10)
	if strings.Contains(s, "STALE") || !strings.Contains(s, "● live (refreshed 0s ago)") {
		t.Fatalf("the marker must go when the refresh succeeds:\n%s", s)
	}
	// Failing from the start: the error in place of the records.
	h2 := newHarness(t, themes.Dark(), fixture())
	h2.srv.err = errors.New("dial tcp 127.0.0.1:8443: connection refused")
	h2.enter()
	mustContain(t, screen(h2.v, 120, 10), "audit [0] audit log: dial tcp", "no audit records: audit log: dial tcp 127.0.0.1:8443")
}

func TestFirstLoadKeepsPagesBeforeAFailure(t *testing.T) {
	h := newHarness(t, themes.Dark(), generated(230))
	srv := h.srv
	fail := func() {
		h.v.env.Audit = func(ctx context.Context, team string, before int64) (api.AuditResponse, error) {
			if before != 0 {
				srv.calls = append(srv.calls, "fail")
				return api.AuditResponse{}, errors.New("timeout")
			}
			return srv.audit(ctx, team, before)
		}
	}
	fail()
	h.enter()
	if h.v.list.Total() != 50 {
		t.Fatalf("%d records", h.v.list.Total())
	}
	mustContain(t, screen(h.v, 200, 5), "[50+] ● live (refreshed 0s ago) older records not loaded: audit log: timeout")
	// The next load reads every page again.
	h.v.env.Audit = srv.audit
	srv.calls = nil
	h.tick(15)
	if len(srv.calls) != 4 || h.v.list.Total() != 200 {
		t.Fatalf("calls %q, %d records", srv.calls, h.v.list.Total())
	}
}

func TestResultsOfALeftLoadAreDropped(t *testing.T) {
	h := newHarness(t, themes.Dark(), fixture())
	old := h.v.Enter()
	h.v.Leave()
	fresh := h.v.Enter()
	_, next := h.v.Update(old())
	if next != nil || h.v.list.Total() != 0 {
		t.Fatal("a page of the left load must be dropped")
	}
	h.Run(fresh)
	if h.v.list.Total() != 12 {
		t.Fatalf("the current load shows %d records", h.v.list.Total())
	}
	// A refresh in flight when the screen is left is dropped too, and no tick refreshes
	// a screen that is not active.
	h.tick(14)
	h.now = h.now.Add(time.Second)
	_, refresh := h.v.Update(views.Tick{At: h.now})
	if refresh == nil {
		t.Fatal("the 15th tick refreshes")
	}
	h.v.Leave()
	h.srv.records = generated(300)
	if _, next := h.v.Update(refresh()); next != nil || h.v.list.Total() != 12 {
		t.Fatalf("a refresh of a left screen must be dropped: %d records", h.v.list.Total())
	}
	h.srv.calls = nil
	h.tick(60)
	if len(h.srv.calls) != 0 {
		t.Fatalf("an inactive screen refreshed: %q", h.srv.calls)
	}
	// Back on the screen: it reads again.
	h.enter()
	if len(h.srv.calls) != 4 || h.v.list.Total() != 200 {
		t.Fatalf("calls %q, %d records", h.srv.calls, h.v.list.Total())
	}
}

func TestNoPlatformAPI(t *testing.T) {
	h := newHarness(t, themes.Dark(), fixture())
	h.v.env.Audit = nil
	if cmd := h.v.Enter(); cmd != nil {
		t.Fatal("nothing to read without a platform API")
	}
	h.tick(30)
	h.Press("ctrl+r", "enter")
	mustContain(t, screen(h.v, 120, 10), "audit [0] no platform API", NoAPI)
	s := screen(h.v, 40, 10)
	mustContain(t, s, "no platform API configured for this", "`vigie serve`")
}

func TestHelpListsDetailsAndGlobalKeys(t *testing.T) {
	h := loaded(t)
	help := h.v.Help()
	var titles []string
	for _, g := range help.Groups {
		titles = append(titles, g.Title)
	}
	want := []string{keymaps.TitleActions, keymaps.TitleNavigation, keymaps.TitleList, keymaps.TitleGeneral}
	if !slices.Equal(titles, want) {
		t.Fatalf("groups %q, want %q", titles, want)
	}
	if b := help.Groups[0].Bindings[0]; b.Help().Key != "enter" || b.Help().Desc != "details" {
		t.Fatalf("action %+v", b.Help())
	}
	if h.v.env.Keys.Workloads.Open.Help().Desc != "open" {
		t.Fatal("the help must not change the shared key map")
	}
}

func TestParamsAsTheWireNamesThem(t *testing.T) {
	for _, c := range []struct {
		p    *api.Params
		want string
	}{
		{nil, "-"},
		{&api.Params{}, "-"},
		{replicas(0), "replicas=0"},
		{replicas(12), "replicas=12"},
	} {
		if got := params(c.p); got != c.want {
			t.Errorf("params(%+v) = %q, want %q", c.p, got, c.want)
		}
	}
}
