package keymaps

import (
	"errors"
	"testing"
)

// The query screen's keys: run shares ctrl+r with global.refresh (the editor takes every
// other key, so only one of them is ever live), but a pane key may not take a list key.
func TestQueryKeysConflicts(t *testing.T) {
	s := Default()
	if err := s.Apply(map[string][]string{"query.run": {"ctrl+r"}}); err != nil {
		t.Fatalf("run in the editor and refresh elsewhere never meet: %v", err)
	}
	err := s.Apply(map[string][]string{"query.edit": {"j"}})
	var c *ConflictError
	if !errors.As(err, &c) || c.Screen != "query" {
		t.Fatalf("query.edit on j must conflict with table.down on the query screen: %v", err)
	}
	err = s.Apply(map[string][]string{"query.run": {"esc"}})
	if !errors.As(err, &c) || c.Screen != "query editor" {
		t.Fatalf("query.run on esc must conflict with leaving the editor: %v", err)
	}
	if h := s.QueryHelp(); len(h.Groups) == 0 || h.Groups[0].Title != "Query" {
		t.Fatalf("query help: %+v", h.Groups)
	}
}
