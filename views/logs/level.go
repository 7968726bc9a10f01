package logs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/views/table"
)

// Level is the severity a line declares.
type Level uint8

// Levels, from unknown to the most severe.
const (
	LevelUnknown Level = iota
	LevelDebug
	LevelInfo
	LevelWarn
	LevelError
)

// Tone is how a level is drawn.
func (l Level) Tone() table.Tone {
	switch l {
	case LevelDebug:
		return table.ToneMuted
	case LevelWarn:
		return table.ToneWarning
	case LevelError:
		return table.ToneDanger
	}
	return table.ToneNone
}

func parseLevel(s string) Level {
	switch strings.ToLower(strings.Trim(s, `"'[]: `)) {
	case "debug", "dbg", "trace", "d":
		return LevelDebug
	case "info", "inf", "notice", "i":
		return LevelInfo
	case "warn", "warning", "wrn", "w":
		return LevelWarn
	case "error", "err", "fatal", "panic", "critical", "crit", "e", "f", "alert", "emerg":
		return LevelError
	}
	return LevelUnknown
}

// DetectLevel finds the level of a line: a JSON "level" (or "lvl", "severity") field, a
// logfmt level= pair, or a common prefix ("ERROR ...", "[warn] ...", "E1126 ..." of klog).
func DetectLevel(line string) Level {
	s := strings.TrimSpace(line)
	if strings.HasPrefix(s, "{") {
		for _, k := range []string{`"level":`, `"lvl":`, `"severity":`, `"log.level":`} {
			if i := strings.Index(s, k); i >= 0 {
				v := strings.TrimLeft(s[i+len(k):], " ")
				if end := strings.IndexAny(v[min(1, len(v)):], `",}`); end >= 0 {
					return parseLevel(v[:end+1])
				}
			}
		}
		return LevelUnknown
	}
	for _, k := range []string{"level=", "lvl=", "severity="} {
		if i := strings.Index(s, k); i >= 0 && (i == 0 || s[i-1] == ' ') {
			v := s[i+len(k):]
			if end := strings.IndexByte(v, ' '); end >= 0 {
				v = v[:end]
			}
			return parseLevel(v)
		}
	}
	word := s
	if end := strings.IndexAny(s, " \t:"); end >= 0 {
		word = s[:end]
	}
	if l := parseLevel(word); l != LevelUnknown && len(word) > 1 {
		return l
	}
	// klog: "E1126 02:13:27.123456 ..." — a level letter and a date.
	if len(s) > 5 && strings.ContainsRune("IWEF", rune(s[0])) && isDigits(s[1:5]) {
		return parseLevel(s[:1])
	}
	return LevelUnknown
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ZoomLine is one line of a zoomed record.
type ZoomLine struct {
	Indent int
	Key    string // "" for a plain line
	Value  string
	Tone   table.Tone
}

// Zoom pretty-prints a JSON or logfmt line as sanitised key/value lines, keys in the
// order they were written; nested objects are indented, and folded beyond depth fold
// (0 = never fold). ok is false for a line that is neither.
func Zoom(line string, fold int) ([]ZoomLine, bool) {
	s := strings.TrimSpace(line)
	if strings.HasPrefix(s, "{") {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var out []ZoomLine
		if err := zoomJSON(dec, 0, fold, &out); err == nil {
			return out, true
		}
		return nil, false
	}
	pairs := parseLogfmt(s)
	if len(pairs) < 2 {
		return nil, false
	}
	out := make([]ZoomLine, 0, len(pairs))
	for _, p := range pairs {
		out = append(out, ZoomLine{Key: termtext.Line(p[0]), Value: termtext.Line(p[1]), Tone: keyTone(p[0], p[1])})
	}
	return out, true
}

func keyTone(k, v string) table.Tone {
	switch strings.ToLower(k) {
	case "level", "lvl", "severity":
		return parseLevel(v).Tone()
	case "error", "err", "exception", "stack", "stacktrace":
		return table.ToneDanger
	}
	return table.ToneNone
}

// zoomJSON reads one JSON object from dec (its "{" not consumed yet) into lines.
func zoomJSON(dec *json.Decoder, depth, fold int, out *[]ZoomLine) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("not an object")
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		k, _ := kt.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		raw = bytes.TrimSpace(raw)
		switch {
		case len(raw) > 0 && raw[0] == '{' && (fold == 0 || depth+1 < fold):
			*out = append(*out, ZoomLine{Indent: depth, Key: termtext.Line(k), Value: ""})
			sub := json.NewDecoder(bytes.NewReader(raw))
			sub.UseNumber()
			if err := zoomJSON(sub, depth+1, fold, out); err != nil {
				return err
			}
		case len(raw) > 0 && raw[0] == '{':
			*out = append(*out, ZoomLine{Indent: depth, Key: termtext.Line(k), Value: "{…} (folded)", Tone: table.ToneMuted})
		default:
			v := string(raw)
			var str string
			if json.Unmarshal(raw, &str) == nil {
				v = str
			}
			// A value spanning lines (a stack trace) keeps its lines, each made safe.
			for i, part := range strings.Split(v, "\n") {
				key := termtext.Line(k)
				if i > 0 {
					key = ""
				}
				*out = append(*out, ZoomLine{Indent: depth, Key: key, Value: termtext.Line(part), Tone: keyTone(k, v)})
			}
		}
	}
	_, err = dec.Token() // the closing brace
	return err
}

// parseLogfmt splits key=value pairs (values may be double-quoted with escapes); it
// returns nil when a word is not a pair.
func parseLogfmt(s string) [][2]string {
	var out [][2]string
	for s = strings.TrimLeft(s, " "); s != ""; s = strings.TrimLeft(s, " ") {
		eq := strings.IndexByte(s, '=')
		sp := strings.IndexByte(s, ' ')
		if eq <= 0 || (sp >= 0 && sp < eq) {
			return nil
		}
		key, rest := s[:eq], s[eq+1:]
		var val string
		if strings.HasPrefix(rest, `"`) {
			end := 1
			for end < len(rest) && (rest[end] != '"' || rest[end-1] == '\\') {
				end++
			}
			if end >= len(rest) {
				return nil
			}
			q := rest[:end+1]
			if err := json.Unmarshal([]byte(q), &val); err != nil {
				val = q[1 : len(q)-1]
			}
			s = rest[end+1:]
		} else {
			if sp2 := strings.IndexByte(rest, ' '); sp2 >= 0 {
				val, s = rest[:sp2], rest[sp2:]
			} else {
				val, s = rest, ""
			}
		}
		out = append(out, [2]string{key, val})
	}
	return out
}
