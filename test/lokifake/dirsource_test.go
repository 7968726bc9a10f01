package lokifake

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLabelsForFile(t *testing.T) {
	cases := map[string]string{
		"payments_checkout-57d49946f6-2jgtb.log":              "map[app:checkout container:app namespace:payments pod:checkout-57d49946f6-2jgtb team:payments]",
		"payments_fraud-worker-796b7978bb-l489r.previous.log": "map[app:fraud-worker container:app namespace:payments pod:fraud-worker-796b7978bb-l489r team:payments]",
		"search_db-0.log":         "map[app:db container:app namespace:search pod:db-0 team:search]",
		"search_standalone.log":   "map[app:standalone container:app namespace:search pod:standalone team:search]",
		"_fallback.log":           "",
		"payments_x.log.tmp12345": "",
		"notes.txt":               "",
		"nounderscore.log":        "",
	}
	for name, want := range cases {
		got, ok := LabelsForFile(name)
		if (want == "") != !ok || (ok && fmt.Sprint(got) != want) {
			t.Errorf("LabelsForFile(%q) = %v %v, want %s", name, got, ok, want)
		}
	}
}

func criLine(at time.Time, stream, tag, msg string) string {
	return at.UTC().Format(time.RFC3339Nano) + " " + stream + " " + tag + " " + msg + "\n"
}

func appendFile(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
}

// entriesNow reads new entries, waiting out the source's refresh interval.
func entriesNow(t *testing.T, s Source, cursor uint64) ([]Entry, uint64) {
	t.Helper()
	time.Sleep(60 * time.Millisecond)
	es, next, err := s.Entries(cursor)
	if err != nil {
		t.Fatal(err)
	}
	return es, next
}

func TestDirSourceFollowsTheSimulatorsFiles(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 11, 26, 2, 39, 32, 969424804, time.UTC)
	cur := filepath.Join(dir, "payments_fraud-worker-796b7978bb-l489r.log")
	prev := filepath.Join(dir, "payments_fraud-worker-796b7978bb-l489r.previous.log")
	appendFile(t, filepath.Join(dir, "_fallback.log"), criLine(at, "stdout", "F", "no simulated log"))
	appendFile(t, cur, criLine(at, "stdout", "F", `{"msg":"starting"}`)+criLine(at.Add(1), "stderr", "F", "")+
		criLine(at.Add(2), "stderr", "P", "panic: part one, ")+criLine(at.Add(2), "stderr", "F", "part two")+
		at.Format(time.RFC3339Nano)+" stdout F incomplete line without newline")
	src := DirSource(dir)
	es, cursor := entriesNow(t, src, 0)
	if len(es) != 3 || es[0].Line != `{"msg":"starting"}` || es[1].Line != "" || es[2].Line != "panic: part one, part two" || !es[0].At.Equal(at) {
		t.Fatalf("entries %+v", es)
	}
	if es[0].Labels["app"] != "fraud-worker" || es[0].Labels["pod"] != "fraud-worker-796b7978bb-l489r" {
		t.Errorf("labels %v", es[0].Labels)
	}

	// The line is completed, then the container "restarts": current becomes previous and a
	// new current run is written. Nothing is read twice.
	appendFile(t, cur, "\n")
	es, cursor = entriesNow(t, src, cursor)
	if len(es) != 1 || es[0].Line != "incomplete line without newline" {
		t.Fatalf("completed line: %+v", es)
	}
	if err := os.Rename(cur, prev); err != nil {
		t.Fatal(err)
	}
	appendFile(t, cur+".tmp1", criLine(at.Add(time.Minute), "stdout", "F", "second run"))
	es, cursor = entriesNow(t, src, cursor)
	if len(es) != 0 {
		t.Fatalf("a renamed file or a temporary file was read again: %+v", es)
	}
	if err := os.Rename(cur+".tmp1", cur); err != nil {
		t.Fatal(err)
	}
	es, _ = entriesNow(t, src, cursor)
	if len(es) != 1 || es[0].Line != "second run" {
		t.Fatalf("second run: %+v", es)
	}
	all, _ := entriesNow(t, src, 0)
	if len(all) != 5 {
		t.Errorf("all entries: %d, want 5", len(all))
	}

	// A sidecar adds labels the file name cannot carry.
	appendFile(t, filepath.Join(dir, "search_api-6f7d8-abcde.labels.json"), `{"app":"search-api","tier":"web"}`)
	appendFile(t, filepath.Join(dir, "search_api-6f7d8-abcde.log"), criLine(at, "stdout", "F", "hello"))
	es, _ = entriesNow(t, src, 5)
	if len(es) != 1 || es[0].Labels["app"] != "search-api" || es[0].Labels["tier"] != "web" || es[0].Labels["team"] != "search" {
		t.Errorf("sidecar labels: %+v", es)
	}
}

func TestDirSourceMissingDir(t *testing.T) {
	_, _, err := DirSource(filepath.Join(t.TempDir(), "nope")).Entries(0)
	if err == nil || !strings.Contains(err.Error(), "read log dir") {
		t.Errorf("err = %v", err)
	}
}
