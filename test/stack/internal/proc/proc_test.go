package proc

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"
)

func TestParseStartTicks(t *testing.T) {
	// The command name may hold spaces and parentheses.
	stat := []byte("4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 10000 200 18446744073709551615")
	got, err := parseStartTicks(stat)
	if err != nil || got != 987654 {
		t.Fatalf("parseStartTicks = %d, %v; want 987654", got, err)
	}
	if _, err := parseStartTicks([]byte("1 (x) S 1")); err == nil {
		t.Fatal("short stat: want an error")
	}
}

func TestSameExe(t *testing.T) {
	for _, c := range []struct {
		link, rec string
		want      bool
	}{
		{"/bin/etcd", "/bin/etcd", true},
		{"/bin/etcd (deleted)", "/bin/etcd", true},
		{"/bin/etcd2", "/bin/etcd", false},
		{"", "/bin/etcd", false},
	} {
		if got := SameExe(c.link, c.rec); got != c.want {
			t.Errorf("SameExe(%q, %q) = %v", c.link, c.rec, got)
		}
	}
}

func TestRegistryRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pids.json")
	r := NewRegistry(path)
	if err := r.Add(Proc{Name: "etcd", PID: 10, Exe: "/x/etcd", StartTicks: 5}); err != nil {
		t.Fatal(err)
	}
	if err := r.SetPostgres(Postgres{BinDir: "/pg/bin", DataDir: "/d", User: "postgres"}); err != nil {
		t.Fatal(err)
	}
	if err := r.AddRemove("/tmp/x"); err != nil {
		t.Fatal(err)
	}
	st, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Processes) != 1 || st.Processes[0].Name != "etcd" || st.Postgres == nil || st.Postgres.DataDir != "/d" || len(st.Remove) != 1 {
		t.Fatalf("loaded %+v", st)
	}
	empty, err := Load(filepath.Join(t.TempDir(), "none.json"))
	if err != nil || len(empty.Processes) != 0 {
		t.Fatalf("missing file: %+v, %v", empty, err)
	}
}

func TestAliveChecksExeAndStartTime(t *testing.T) {
	self, err := Describe("self", os.Getpid(), "")
	if err != nil {
		t.Fatal(err)
	}
	if !Alive(self) {
		t.Fatal("this process should be alive")
	}
	other := self
	other.Exe = "/not/this/binary"
	if Alive(other) {
		t.Fatal("a different exe must not count as the recorded process")
	}
	reused := self
	reused.StartTicks++
	if Alive(reused) {
		t.Fatal("a different start time must not count as the recorded process")
	}
}

func TestStartStop(t *testing.T) {
	sleep := "/bin/sleep"
	if _, err := os.Stat(sleep); err != nil {
		t.Fatalf("this test starts /bin/sleep (coreutils): %v", err)
	}
	dir := t.TempDir()
	r, err := Start(Spec{Name: "sleep", Path: sleep, Args: []string{"60"}, Log: filepath.Join(dir, "sleep.log")})
	if err != nil {
		t.Fatal(err)
	}
	if !Alive(r.Proc) {
		t.Fatalf("started process not alive: %+v", r.Proc)
	}
	sent, err := Stop(r.Proc, syscall.SIGTERM, 5*time.Second)
	if err != nil || !sent {
		t.Fatalf("Stop = %v, %v", sent, err)
	}
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		t.Fatal("process did not exit")
	}
	if sent, _ := Stop(r.Proc, 0, time.Second); sent {
		t.Fatal("stopping a gone process must send nothing")
	}
}

func TestWriteFileAtomicAndTail(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := WriteFileAtomic(p, []byte("a\nb\nc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := Tail(p, 2); got != "b\nc" {
		t.Fatalf("Tail = %q", got)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}
}

// A started process's record holds its command line, and the Spec rebuilt from pids.json
// starts the same command again (what `stack apiserver start` relies on).
func TestRecordedSpecRoundTrip(t *testing.T) {
	sleep := "/bin/sleep"
	if _, err := os.Stat(sleep); err != nil {
		t.Fatalf("this test starts /bin/sleep (coreutils): %v", err)
	}
	dir := t.TempDir()
	spec := Spec{Name: "sleeper", Path: sleep, Args: []string{"60", "--", "1"}, Dir: dir,
		Env: []string{"A=1", "B=two words"}, Log: filepath.Join(dir, "sleeper.log")}
	r, err := Start(spec)
	if err != nil {
		t.Fatal(err)
	}
	defer Stop(r.Proc, 0, 5*time.Second)
	path := filepath.Join(dir, "pids.json")
	reg := NewRegistry(path)
	if err := reg.Add(Proc{Name: "first", PID: 1, Exe: "/x"}); err != nil {
		t.Fatal(err)
	}
	if err := reg.Add(r.Proc); err != nil {
		t.Fatal(err)
	}
	if err := reg.Add(Proc{Name: "last", PID: 2, Exe: "/y"}); err != nil {
		t.Fatal(err)
	}
	st, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	rec, ok := st.Find("sleeper")
	if !ok {
		t.Fatalf("no sleeper in %+v", st)
	}
	got, err := rec.Spec()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, spec) {
		t.Fatalf("Spec from pids.json = %+v, want %+v", got, spec)
	}

	// Stop it, start it again from the record, and replace the record in place.
	if sent, err := Stop(rec, 0, 5*time.Second); !sent || err != nil {
		t.Fatalf("Stop = %v, %v", sent, err)
	}
	again, err := Start(got)
	if err != nil {
		t.Fatal(err)
	}
	defer Stop(again.Proc, 0, 5*time.Second)
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", again.PID))
	if want := sleep + "\x0060\x00--\x001\x00"; string(cmdline) != want {
		t.Errorf("cmdline %q, want %q", cmdline, want)
	}
	if cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", again.PID)); cwd != dir {
		t.Errorf("cwd %s, want %s", cwd, dir)
	}
	environ, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", again.PID))
	if string(environ) != "A=1\x00B=two words\x00" {
		t.Errorf("environ %q", environ)
	}
	reg2, err := OpenRegistry(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := reg2.Replace(again.Proc); err != nil {
		t.Fatal(err)
	}
	if err := reg2.Replace(Proc{Name: "nobody"}); err == nil {
		t.Error("Replace of an unknown name: want an error")
	}
	st, _ = Load(path)
	if len(st.Processes) != 3 || st.Processes[1].PID != again.PID || st.Processes[0].Name != "first" || st.Processes[2].Name != "last" {
		t.Fatalf("after Replace: %+v", st.Processes)
	}
	if !Alive(st.Processes[1]) {
		t.Fatal("replaced record should be the running process")
	}
}

func TestSpecEnvNilVersusEmpty(t *testing.T) {
	for _, env := range [][]string{nil, {}} {
		data, err := json.Marshal(Proc{Name: "x", Path: "/bin/x", Env: env})
		if err != nil {
			t.Fatal(err)
		}
		var p Proc
		if err := json.Unmarshal(data, &p); err != nil {
			t.Fatal(err)
		}
		if (p.Env == nil) != (env == nil) {
			t.Errorf("Env %#v came back as %#v (%s)", env, p.Env, data)
		}
	}
	// Records of an older stack (or from Describe) cannot be restarted.
	if _, err := (Proc{Name: "postgres", PID: 3}).Spec(); err == nil {
		t.Error("Spec of a record without Path: want an error")
	}
}
