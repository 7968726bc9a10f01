package keymaps

import (
	"errors"
	"strings"
	"testing"

	"charm.land/bubbles/v2/help"
)

// r runs a job on the jobs screen, where the table does not sort; a key that another
// action live there already has is still a conflict.
func TestJobsKeysAndConflicts(t *testing.T) {
	s := Default()
	if err := s.Check(); err != nil {
		t.Fatalf("the defaults conflict: %v", err)
	}
	err := s.Apply(map[string][]string{"jobs.logs": {"enter"}})
	var c *ConflictError
	if !errors.As(err, &c) || c.Screen != "jobs" || !strings.Contains(err.Error(), "jobs.open") {
		t.Fatalf("jobs.logs on enter must conflict with jobs.open on the jobs screen: %v", err)
	}
	if err := s.Apply(map[string][]string{"jobs.run": {"j"}}); err == nil || !strings.Contains(err.Error(), "table.down") {
		t.Fatalf("jobs.run on j must conflict with table.down: %v", err)
	}
	if err := s.Apply(map[string][]string{"jobs.switch": {"/"}}); err == nil || !strings.Contains(err.Error(), "table.filter") {
		t.Fatalf("jobs.switch on / must conflict with the filter: %v", err)
	}
	// > sorts other tables and is free here.
	if err := s.Apply(map[string][]string{"jobs.logs": {">"}}); err != nil {
		t.Fatal(err)
	}
	if !IsDangerous("jobs.run") || IsDangerous("jobs.open") {
		t.Fatal("running a job is the guarded action; opening is not")
	}
}

func TestJobsHelpFollowsReadOnly(t *testing.T) {
	s := Default()
	h := help.New()
	h.ShowAll = true
	for _, km := range []help.KeyMap{s.JobsHelp(), s.JobsDetailHelp()} {
		if out := h.View(km); !strings.Contains(out, "run the job") || !strings.Contains(out, "logs of the run") {
			t.Fatalf("jobs help lacks its keys:\n%s", out)
		}
	}
	if out := h.View(s.JobsHelp()); strings.Contains(out, "reverse sort") || !strings.Contains(out, "templates ⇄ runs") {
		t.Fatalf("jobs help:\n%s", out)
	}
	s.ApplyReadOnly()
	for _, km := range []help.KeyMap{s.JobsHelp(), s.JobsDetailHelp()} {
		if out := h.View(km); strings.Contains(out, "run the job") || strings.Contains(out, "Guarded") {
			t.Fatalf("read-only jobs help offers the run:\n%s", out)
		}
	}
}
