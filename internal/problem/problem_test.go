package problem

import "testing"

func TestString(t *testing.T) {
	for _, c := range []struct {
		p    Problem
		want string
	}{
		{Problem{File: "f.yaml", Line: 3, Col: 5, Path: "teams.p", Msg: "bad"}, "f.yaml:3:5: teams.p: bad"},
		{Problem{File: "f.yaml", Line: 3, Msg: "bad"}, "f.yaml:3: bad"},
		{Problem{Path: "--team", Msg: "bad"}, "--team: bad"},
	} {
		if got := c.p.String(); got != c.want {
			t.Errorf("%q, want %q", got, c.want)
		}
	}
	two := []Problem{{Msg: "a"}, {Msg: "b"}}
	if got := List(two, "%d problems:"); got != "2 problems:\na\nb" {
		t.Errorf("List: %q", got)
	}
	if got := List(two[:1], "%d problems:"); got != "a" {
		t.Errorf("List of one: %q", got)
	}
}
