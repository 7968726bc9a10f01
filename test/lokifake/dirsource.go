package lokifake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// ContainerName is the container every simulated pod's log file belongs to (the local
// platform simulator writes the log of the container named "app").
const ContainerName = "app"

// DirSource serves the per-pod CRI log files of the local platform's simulator
// (test/stack/internal/sim): "<namespace>_<pod>.log" is the current container's log and
// "<namespace>_<pod>.previous.log" the previous run's, each line
// "<RFC3339Nano> <stdout|stderr> <F|P> <message>". Files starting with "_" (kwok's fallback)
// and temporary files are ignored. Labels come from LabelsForFile, overridden by an optional
// sidecar "<namespace>_<pod>.labels.json" (a JSON object of strings).
//
// The folder is re-read at most every 50ms when entries are asked for: appended lines are
// new entries; a file renamed (current -> previous, as the simulator does when a crashing
// container restarts) is recognised and not read twice; lines of deleted files are kept,
// as Loki keeps the logs of pods that are gone.
func DirSource(dir string) Source {
	return &dirSource{dir: dir, files: map[string]*dirFile{}}
}

type dirSource struct {
	dir string

	mu          sync.Mutex
	files       map[string]*dirFile // by file name
	entries     []Entry
	lastRefresh time.Time
	err         error
}

type dirFile struct {
	info    fs.FileInfo // identity (os.SameFile) of the file read
	head    []byte      // its first bytes: an inode reused by a new file is not the same file
	offset  int64       // bytes consumed (complete lines)
	labels  map[string]string
	key     string // labelsKey(labels)
	partial string // CRI "P" pieces waiting for their "F" line
}

// LabelsForFile derives a stream's labels from a simulator log file name:
// namespace and pod from "<namespace>_<pod>[.previous].log", container "app", team = the
// namespace (the platform names team namespaces after their team), and app = the pod's
// workload: the pod name minus its last two dash-separated parts (ReplicaSet hash and pod
// suffix: "fraud-worker-796b7978bb-l489r" -> "fraud-worker"), or minus a numeric ordinal
// ("db-0" -> "db"), else the pod name. ok is false for files that are not pod logs.
func LabelsForFile(name string) (labels map[string]string, ok bool) {
	base := filepath.Base(name)
	if strings.HasPrefix(base, "_") || strings.HasPrefix(base, ".") || strings.Contains(base, ".tmp") {
		return nil, false
	}
	stem, found := strings.CutSuffix(base, ".log")
	if !found {
		return nil, false
	}
	stem = strings.TrimSuffix(stem, ".previous")
	ns, pod, found := strings.Cut(stem, "_")
	if !found || ns == "" || pod == "" {
		return nil, false
	}
	return map[string]string{
		"namespace": ns, "pod": pod, "container": ContainerName, "app": workloadName(pod), "team": ns,
	}, true
}

func workloadName(pod string) string {
	parts := strings.Split(pod, "-")
	switch {
	case len(parts) >= 3:
		return strings.Join(parts[:len(parts)-2], "-")
	case len(parts) == 2 && parts[1] != "" && strings.Trim(parts[1], "0123456789") == "":
		return parts[0]
	}
	return pod
}

func (d *dirSource) Entries(cursor uint64) ([]Entry, uint64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if time.Since(d.lastRefresh) >= 50*time.Millisecond {
		d.err = d.refresh()
		d.lastRefresh = time.Now()
	}
	if d.err != nil && len(d.entries) == 0 {
		return nil, 0, d.err
	}
	n := uint64(len(d.entries))
	if cursor > n {
		cursor = n
	}
	return d.entries[cursor:n:n], n, nil
}

func (d *dirSource) refresh() error {
	des, err := os.ReadDir(d.dir)
	if err != nil {
		return fmt.Errorf("lokifake: read log dir: %w", err)
	}
	known := make([]*dirFile, 0, len(d.files))
	for _, f := range d.files {
		known = append(known, f)
	}
	next := make(map[string]*dirFile, len(des))
	var errs []error
	for _, de := range des {
		name := de.Name()
		labels, ok := LabelsForFile(name)
		if !ok || !de.Type().IsRegular() {
			continue
		}
		path := filepath.Join(d.dir, name)
		fi, err := os.Stat(path)
		if err != nil {
			continue // removed meanwhile
		}
		f := d.identify(path, fi, append([]*dirFile{d.files[name]}, known...))
		if f == nil {
			f = &dirFile{info: fi, labels: d.sidecar(name, labels)}
			f.key = labelsKey(f.labels)
		}
		f.info = fi
		next[name] = f
		if err := d.readNew(path, f); err != nil {
			errs = append(errs, err)
		}
	}
	d.files = next
	return errors.Join(errs...)
}

// identify returns the already-read file that path now is (same file, possibly renamed);
// known starts with the file last read under this name, the likeliest.
func (d *dirSource) identify(path string, fi fs.FileInfo, known []*dirFile) *dirFile {
	for _, f := range known {
		if f == nil || !os.SameFile(f.info, fi) || fi.Size() < f.offset {
			continue
		}
		head := make([]byte, len(f.head))
		if fh, err := os.Open(path); err == nil {
			_, err = io.ReadFull(fh, head)
			_ = fh.Close()
			if err == nil && bytes.Equal(head, f.head) {
				return f
			}
		}
	}
	return nil
}

func (d *dirSource) sidecar(name string, labels map[string]string) map[string]string {
	stem := strings.TrimSuffix(strings.TrimSuffix(name, ".log"), ".previous")
	data, err := os.ReadFile(filepath.Join(d.dir, stem+".labels.json"))
	if err != nil {
		return labels
	}
	var extra map[string]string
	if json.Unmarshal(data, &extra) == nil {
		for k, v := range extra {
			labels[k] = v
		}
	}
	return labels
}

// readNew parses the complete lines appended to path since f.offset.
func (d *dirSource) readNew(path string, f *dirFile) error {
	if f.info.Size() <= f.offset {
		return nil
	}
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("lokifake: %w", err)
	}
	defer fh.Close()
	if _, err := fh.Seek(f.offset, io.SeekStart); err != nil {
		return fmt.Errorf("lokifake: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(fh, f.info.Size()-f.offset))
	if err != nil {
		return fmt.Errorf("lokifake: read %s: %w", path, err)
	}
	end := bytes.LastIndexByte(data, '\n')
	if end < 0 {
		return nil
	}
	data = data[:end+1]
	if f.offset == 0 {
		f.head = bytes.Clone(data[:min(len(data), 128)])
	}
	f.offset += int64(len(data))
	for _, line := range strings.Split(string(data[:end]), "\n") {
		at, msg, partial, ok := parseCRI(line)
		if !ok {
			continue
		}
		if partial {
			f.partial += msg
			continue
		}
		d.entries = append(d.entries, Entry{Labels: f.labels, At: at, Line: f.partial + msg, key: f.key})
		f.partial = ""
	}
	return nil
}

// parseCRI splits one CRI log line: "<RFC3339Nano> <stream> <F|P> <message>".
func parseCRI(line string) (at time.Time, msg string, partial, ok bool) {
	parts := strings.SplitN(line, " ", 4)
	if len(parts) < 3 {
		return time.Time{}, "", false, false
	}
	at, err := time.Parse(time.RFC3339Nano, parts[0])
	if err != nil {
		return time.Time{}, "", false, false
	}
	if len(parts) == 4 {
		msg = parts[3]
	}
	return at, msg, parts[2] == "P", true
}
