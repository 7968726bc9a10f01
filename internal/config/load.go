package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Source says where the config file path came from.
type Source string

// The places the config file path is taken from, in order of precedence.
const (
	SourceFlag    Source = "--config"
	SourceEnv     Source = "$VIGIE_CONFIG"
	SourceXDG     Source = "$XDG_CONFIG_HOME"
	SourceDefault Source = "~/.config"
)

// Explicit reports whether the user named the file (--config or $VIGIE_CONFIG), in which
// case a missing file is an error rather than an empty configuration.
func (s Source) Explicit() bool { return s == SourceFlag || s == SourceEnv }

// Overrides are the command-line flags that change the configuration. The zero value
// overrides nothing. Empty strings are "not set".
type Overrides struct {
	Context    string // --context: the context to use instead of current-context
	Kubeconfig string // --kubeconfig: kubeconfig file for the selected context
	Team       string // --team: team to scope to instead of the context's team
	// ReadOnly (--read-only) can only make the selected context stricter: false leaves
	// the context as configured, it never turns a read-only context writable.
	ReadOnly bool
	LogFile  string // --log-file
}

// SecretFiles says which contexts have their secret files (bearerTokenFile,
// passwordFile, tokenFile) read at load.
type SecretFiles int

const (
	// SecretFilesSelected reads the selected context's secret files (the default).
	SecretFilesSelected SecretFiles = iota
	// SecretFilesNone reads none: for commands that only show or list the configuration.
	SecretFilesNone
	// SecretFilesAll reads every context's, to check them all (vigie config check); it
	// also checks every context's runbooks folder (otherwise only the selected one's).
	SecretFilesAll
)

// LoadOptions says where Load finds the configuration. The zero value is safe: it
// reads no environment variable and applies no flag; with neither Path nor HOME in Env
// there is no default file to look for, which Load reports as an error.
type LoadOptions struct {
	// Path is the config file given with --config; "" to search $VIGIE_CONFIG,
	// $XDG_CONFIG_HOME/vigie/config.yaml, then ~/.config/vigie/config.yaml.
	Path string
	// Env looks up an environment variable (os.LookupEnv in main). Nil means an empty
	// environment. Variables set to "" count as unset.
	Env func(string) (string, bool)
	// Flags are applied last, over the file and the environment.
	Flags Overrides
	// SecretFiles says which secret files to read.
	SecretFiles SecretFiles
}

func (o LoadOptions) validate() error {
	if strings.ContainsRune(o.Path, 0) {
		return errors.New("config path contains a NUL byte")
	}
	if o.SecretFiles < SecretFilesSelected || o.SecretFiles > SecretFilesAll {
		return fmt.Errorf("invalid SecretFiles %d", o.SecretFiles)
	}
	return nil
}

// getenv returns a non-empty variable, or "".
func (o LoadOptions) getenv(name string) string {
	if o.Env == nil {
		return ""
	}
	v, _ := o.Env(name)
	return v
}

// File is the configuration file: where it is, whether it exists, and what it holds
// before the environment and flags are applied.
type File struct {
	Path   string
	Source Source
	Exists bool
	Config *Config // empty when the file does not exist; nil only with a FindFile error
}

// FindFile returns the config file that Load would read, without reading it: --config,
// else $VIGIE_CONFIG, else $XDG_CONFIG_HOME/vigie/config.yaml (when absolute), else
// ~/.config/vigie/config.yaml. Exists tells whether it is there; Config is empty.
func FindFile(opts LoadOptions) (File, error) {
	if err := opts.validate(); err != nil {
		return File{}, fmt.Errorf("load options: %w", err)
	}
	home := opts.getenv("HOME")
	f := File{Config: emptyConfig()}
	switch xdg := opts.getenv("XDG_CONFIG_HOME"); {
	case opts.Path != "":
		f.Path, f.Source = opts.Path, SourceFlag
	case opts.getenv("VIGIE_CONFIG") != "":
		f.Path, f.Source = opts.getenv("VIGIE_CONFIG"), SourceEnv
	case filepath.IsAbs(xdg):
		f.Path, f.Source = filepath.Join(xdg, "vigie", "config.yaml"), SourceXDG
	case home != "":
		f.Path, f.Source = filepath.Join(home, ".config", "vigie", "config.yaml"), SourceDefault
	default:
		return File{}, errors.New("cannot find the config file: $HOME is not set (use --config or $VIGIE_CONFIG)")
	}
	if f.Source.Explicit() {
		p, err := expandPath(f.Path, "", home)
		if err != nil {
			return File{}, fmt.Errorf("config file (from %s): %w", f.Source, err)
		}
		f.Path = p
	}
	if abs, err := filepath.Abs(f.Path); err == nil {
		f.Path = abs
	}
	st, err := os.Stat(f.Path)
	switch {
	case err == nil && st.IsDir():
		return File{}, fmt.Errorf("config file %s (from %s) is a directory", f.Path, f.Source)
	case err == nil:
		f.Exists = true
	case errors.Is(err, fs.ErrNotExist):
	default:
		return File{}, fmt.Errorf("config file (from %s): %w", f.Source, err)
	}
	return f, nil
}

func emptyConfig() *Config {
	return &Config{Logs: DefaultLogs(), Contexts: map[string]*Context{}, Teams: map[string]*Team{}}
}

// maxConfigSize bounds what is read from a config or secret file.
const maxConfigSize = 4 << 20

// LoadFile finds and parses the config file alone: no environment override, no flag
// (other than the path), no secret file read. A missing default file gives an empty
// Config; a missing --config or $VIGIE_CONFIG file is an error. When the file has
// problems it returns them as Errors together with everything it could decode, which
// is enough for shell completion.
func LoadFile(opts LoadOptions) (File, error) {
	f, p, err := loadFile(opts)
	if err != nil {
		return f, err
	}
	if len(p.d.problems) > 0 {
		return f, normalize(p.d.problems)
	}
	return f, nil
}

func loadFile(opts LoadOptions) (File, parsed, error) {
	f, err := FindFile(opts)
	if err != nil {
		return f, parsed{}, err
	}
	empty := parsed{cfg: f.Config, d: &decoder{file: f.Path, pos: nil}}
	if !f.Exists {
		if f.Source.Explicit() {
			return f, empty, fmt.Errorf("config file %s (from %s) does not exist", f.Path, f.Source)
		}
		return f, empty, nil
	}
	data, err := readLimited(f.Path)
	if err != nil {
		return f, empty, fmt.Errorf("reading config file (from %s): %w", f.Source, err)
	}
	p := parse(f.Path, filepath.Dir(f.Path), opts.getenv("HOME"), data)
	f.Config = p.cfg
	return f, p, nil
}

func readLimited(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("%s: larger than %d MiB", path, maxConfigSize>>20)
	}
	return data, nil
}

// Resolved is the configuration vigie runs with: the file, and the selected context and
// team after the environment and the flags were applied (file < env < flags).
type Resolved struct {
	File File
	// Context is the selected context (--context, else $VIGIE_CONTEXT, else
	// current-context) with overrides applied; nil when none is selected, which only
	// happens when no context is named anywhere. It is a copy: File.Config keeps the
	// context as written.
	Context *Context
	// Team is the selected team (--team, else $VIGIE_TEAM, else the context's team); nil
	// when none. When the file defines no teams, only Team.Name is set.
	Team *Team
	// LogFile is --log-file, else $VIGIE_LOG_FILE, else log-file; "" to log nowhere.
	LogFile string
	// UI is the theme ($VIGIE_THEME, else theme) and the key overrides (keys). A theme
	// file in use exists; its content and the key names are checked by the TUI's
	// packages (themes, keymaps) with the positions UI keeps.
	UI UI
	// Logs is the logs section of the file, with defaults where it sets none.
	Logs LogsConfig
	// Notices are overrides that were ignored because they would have made the context
	// less strict (e.g. VIGIE_ENVIRONMENT=dev on a production context). Show them.
	Notices []string
}

// ContextName returns the selected context's name, or "".
func (r *Resolved) ContextName() string {
	if r == nil || r.Context == nil {
		return ""
	}
	return r.Context.Name
}

// Load reads the config file, applies the environment then the flags, selects the
// context and team, reads the secret files opts.SecretFiles asks for, and validates it
// all. Every problem found is returned at once as Errors; other errors (unreadable or
// missing explicit file) are returned alone. On error the Resolved is nil.
func Load(opts LoadOptions) (*Resolved, error) {
	f, p, err := loadFile(opts)
	if err != nil {
		return nil, err
	}
	r := &Resolved{File: f}
	problems := append([]Problem(nil), p.d.problems...)
	ov, envProblems := envOverrides(opts)
	problems = append(problems, envProblems...)
	ov.merge(opts.Flags)

	r.LogFile = f.Config.LogFile
	r.Logs = f.Config.Logs
	if ov.logFile.value != "" {
		path, err := expandPath(ov.logFile.value, "", opts.getenv("HOME"))
		if err == nil {
			path, err = filepath.Abs(path)
		}
		if err != nil {
			problems = append(problems, Problem{Path: ov.logFile.source, Msg: err.Error()})
		}
		r.LogFile = path
	}
	problems = append(problems, r.selectContext(ov, opts.getenv("HOME"))...)
	problems = append(problems, r.selectTeam(ov)...)
	problems = append(problems, r.selectUI(ov, opts.getenv("HOME"), p)...)
	problems = append(problems, readSecretFiles(r, p, opts.SecretFiles)...)
	problems = append(problems, checkRunbooks(r, p, ov, opts.SecretFiles)...)
	if len(problems) > 0 {
		return nil, normalize(problems)
	}
	return r, nil
}

// readSecretFiles fills the secrets of the selected context (or of all contexts) from
// their files. Problems name the field and the file, never the content.
func readSecretFiles(r *Resolved, p parsed, mode SecretFiles) []Problem {
	var out []Problem
	reported := map[string]bool{} // a field with a problem already is not read
	for _, pr := range p.d.problems {
		reported[pr.Path] = true
	}
	fileProblem := func(path, msg string) {
		pr := Problem{File: p.d.file, Path: path, Msg: msg}
		if n := p.d.pos[path]; n != nil {
			pr.Line, pr.Col = n.Line, n.Column
		}
		out = append(out, pr)
	}
	read := func(c *Context) {
		base := joinPath("contexts", c.Name)
		load := func(section, key, file string, dst *Secret) {
			path := joinPath(joinPath(base, section), key)
			if file == "" || reported[path] {
				return
			}
			s, err := readSecretFile(file)
			if err != nil {
				fileProblem(path, err.Error())
				return
			}
			*dst = s
		}
		if e := c.Prometheus; e != nil {
			load("prometheus", "bearerTokenFile", e.BearerTokenFile, &e.BearerToken)
		}
		if e := c.Alertmanager; e != nil {
			load("alertmanager", "bearerTokenFile", e.BearerTokenFile, &e.BearerToken)
		}
		if l := c.Loki; l != nil {
			load("loki", "bearerTokenFile", l.BearerTokenFile, &l.BearerToken)
			load("loki", "passwordFile", l.PasswordFile, &l.Password)
		}
		if pl := c.Platform; pl != nil {
			load("platform", "tokenFile", pl.TokenFile, &pl.Token)
		}
	}
	switch mode {
	case SecretFilesSelected:
		if r.Context != nil {
			read(r.Context)
		}
	case SecretFilesAll:
		for _, name := range r.File.Config.ContextNames() {
			read(r.File.Config.Contexts[name])
		}
		if r.Context != nil {
			read(r.Context)
		}
	}
	return out
}

// readSecretFile reads a secret and trims its trailing newline. Errors never hold the
// content.
func readSecretFile(path string) (Secret, error) {
	data, err := readLimited(path)
	if err != nil {
		return "", fmt.Errorf("cannot read secret file: %w", err)
	}
	s := strings.TrimRight(string(data), "\r\n")
	if s == "" {
		return "", fmt.Errorf("secret file %s is empty", path)
	}
	return Secret(s), nil
}
