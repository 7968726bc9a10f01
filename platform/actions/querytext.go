package actions

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/vigie-dev/vigie/platform/api"
)

// The server's checks of a query's SQL text, before anything is sent to PostgreSQL. They
// are a first line only: what keeps a query from writing is the database role (SELECT
// only) and the READ ONLY transaction it runs in (query.go), which hold even when a text
// passes these checks.

// MaxSQLBytes bounds the SQL text of a query.
const MaxSQLBytes = 16 << 10

// tokKind is the kind of a lexical token of SQL text.
type tokKind int

const (
	tokWord   tokKind = iota // an identifier or a keyword (lower-cased in text)
	tokQuoted                // a "quoted identifier" (its content, as written)
	tokString                // a string constant: '...', E'...', $tag$...$tag$ (no text)
	tokSemi                  // ;
	tokOpen                  // (
	tokOther                 // numbers, operators, punctuation, parameters
)

type token struct {
	kind tokKind
	text string
	pos  int // byte offset in the SQL text
}

// lexSQL splits SQL text into tokens as PostgreSQL's lexer does, as far as statement
// boundaries, keywords and function names go: comments (-- and nested /* */) are
// skipped; string constants ('...' where a doubled quote is a quote, E'...' with
// backslash escapes, $tag$...$tag$) and quoted identifiers ("..." where a doubled
// double quote is one) are single tokens, so a ; or a keyword inside them counts for
// nothing. An unterminated string, quoted identifier or comment is an error.
func lexSQL(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case strings.HasPrefix(s[i:], "--"):
			for i < len(s) && s[i] != '\n' && s[i] != '\r' {
				i++
			}
		case strings.HasPrefix(s[i:], "/*"):
			start, depth := i, 0
			for i < len(s) {
				if strings.HasPrefix(s[i:], "/*") {
					depth++
					i += 2
				} else if strings.HasPrefix(s[i:], "*/") {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
			if depth != 0 {
				return nil, fmt.Errorf("the comment at character %d is not closed (*/)", runePos(s, start))
			}
		case c == '\'':
			end, err := endOfString(s, i, false)
			if err != nil {
				return nil, err
			}
			out = append(out, token{tokString, "", i})
			i = end
		case c == '"':
			start := i
			i++
			var b strings.Builder
			closed := false
			for i < len(s) {
				if s[i] == '"' {
					if i+1 < len(s) && s[i+1] == '"' {
						b.WriteByte('"')
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				b.WriteByte(s[i])
				i++
			}
			if !closed {
				return nil, fmt.Errorf("the quoted identifier at character %d is not closed (\")", runePos(s, start))
			}
			out = append(out, token{tokQuoted, b.String(), start})
		case c == '$':
			if tag, ok := dollarTag(s[i:]); ok {
				start := i
				end := strings.Index(s[i+len(tag):], tag)
				if end < 0 {
					return nil, fmt.Errorf("the dollar-quoted string at character %d is not closed (%s)", runePos(s, start), tag)
				}
				i += len(tag) + end + len(tag)
				out = append(out, token{tokString, "", start})
				continue
			}
			start := i // a parameter, $1
			i++
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
			out = append(out, token{tokOther, s[start:i], start})
		case c == ';':
			out = append(out, token{tokSemi, ";", i})
			i++
		case c == '(':
			out = append(out, token{tokOpen, "(", i})
			i++
		case identStart(c):
			start := i
			for i < len(s) && identPart(s[i]) {
				i++
			}
			word := s[start:i]
			if (word == "e" || word == "E") && i < len(s) && s[i] == '\'' {
				end, err := endOfString(s, i, true) // E'...': backslash escapes
				if err != nil {
					return nil, err
				}
				out = append(out, token{tokString, "", start})
				i = end
				continue
			}
			out = append(out, token{tokWord, strings.ToLower(word), start})
		default:
			start := i
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			out = append(out, token{tokOther, s[start:i], start})
		}
	}
	return out, nil
}

// endOfString returns the offset after the string constant whose opening quote is s[i].
func endOfString(s string, i int, backslash bool) (int, error) {
	start := i
	i++
	for i < len(s) {
		switch {
		case backslash && s[i] == '\\':
			i += 2
		case s[i] == '\'':
			if i+1 < len(s) && s[i+1] == '\'' {
				i += 2
				continue
			}
			return i + 1, nil
		default:
			i++
		}
	}
	return 0, fmt.Errorf("the string at character %d is not closed (')", runePos(s, start))
}

// dollarTag returns the $tag$ (or $$) that s starts with.
func dollarTag(s string) (string, bool) {
	if len(s) < 2 || s[0] != '$' {
		return "", false
	}
	if s[1] == '$' {
		return "$$", true
	}
	if !identStart(s[1]) {
		return "", false
	}
	for j := 2; j < len(s); j++ {
		switch {
		case s[j] == '$':
			return s[:j+1], true
		case !identPart(s[j]) || s[j] == '$':
			return "", false
		}
	}
	return "", false
}

func identStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func identPart(c byte) bool { return identStart(c) || c >= '0' && c <= '9' || c == '$' }

// runePos is the 1-based character position of byte offset i, as PostgreSQL counts.
func runePos(s string, i int) int { return utf8.RuneCountInString(s[:i]) + 1 }

// SplitStatements splits SQL text into its statements at the semicolons outside
// strings, quoted identifiers and comments, as PostgreSQL would. Each statement is
// returned as written, without its semicolon; statements holding nothing but
// whitespace and comments are dropped.
func SplitStatements(sql string) ([]string, error) {
	toks, err := lexSQL(sql)
	if err != nil {
		return nil, err
	}
	var out []string
	start, n := 0, 0 // the current statement's first byte, and its tokens
	for _, t := range toks {
		if t.kind != tokSemi {
			n++
			continue
		}
		if n > 0 {
			out = append(out, strings.TrimSpace(sql[start:t.pos]))
		}
		start, n = t.pos+1, 0
	}
	if n > 0 {
		out = append(out, strings.TrimSpace(sql[start:]))
	}
	return out, nil
}

// readStatements are the statements a query may start with.
var readStatements = []string{"select", "with", "explain", "show", "values", "table"}

// writeWords are keywords that make a statement that starts as a read write (a
// data-modifying WITH, SELECT INTO, SELECT ... FOR UPDATE).
var writeWords = map[string]string{
	"insert": "INSERT", "update": "UPDATE (or FOR UPDATE)", "delete": "DELETE", "merge": "MERGE",
	"into": "SELECT INTO (it creates a table)", "copy": "COPY", "truncate": "TRUNCATE",
}

// rowLocks are the locking clauses of a SELECT, by their second word (FOR UPDATE is
// refused as UPDATE).
var rowLocks = map[string]string{"share": "FOR SHARE", "key": "FOR KEY SHARE", "no": "FOR NO KEY UPDATE"}

// deniedFunctions are functions a read-only role may still be allowed to call that act
// on the server or on other sessions, or run SQL text given as a string.
var deniedFunctions = map[string]bool{
	"pg_terminate_backend": true, "pg_cancel_backend": true, "pg_signal_backend": true,
	"pg_reload_conf": true, "pg_rotate_logfile": true, "pg_promote": true, "pg_switch_wal": true,
	"pg_create_restore_point": true, "pg_backup_start": true, "pg_backup_stop": true,
	"pg_start_backup": true, "pg_stop_backup": true, "pg_log_backend_memory_contexts": true,
	"set_config": true, "pg_notify": true, "nextval": true, "setval": true,
	"pg_read_file": true, "pg_read_binary_file": true, "pg_ls_dir": true, "pg_stat_file": true,
	"pg_file_write": true, "pg_logical_emit_message": true, "pg_import_system_collations": true,
	"query_to_xml": true, "query_to_xmlschema": true, "query_to_xml_and_xmlschema": true,
	"cursor_to_xml": true, "cursor_to_xmlschema": true, "pg_stat_statements_reset": true,
}

// deniedFunctionPrefixes deny families of functions (when called: followed by "(").
var deniedFunctionPrefixes = []string{
	"pg_advisory_", "pg_try_advisory_", "lo_", "dblink", "pg_stat_reset", "pg_create_",
	"pg_drop_", "pg_replication_", "pg_wal_replay_", "pg_ls_",
}

// CheckSQL checks the text of a free SQL query before it is sent: it must be one
// statement (a trailing ; is fine) that starts (after comments and parentheses) with
// SELECT, WITH, EXPLAIN without ANALYZE, SHOW, VALUES or TABLE; it may not hold a
// keyword that writes (INSERT, UPDATE, DELETE, MERGE, INTO, COPY, TRUNCATE, FOR
// SHARE), nor call a function that acts on the server or on other sessions
// (pg_terminate_backend, set_config, advisory locks, large objects, dblink,
// query_to_xml...). The error is an *Error: api.CodeInvalid for text that does not
// lex, api.CodeForbidden for a refused statement.
func CheckSQL(sql string) error {
	invalid := func(format string, args ...any) error {
		return &Error{Code: api.CodeInvalid, Msg: fmt.Sprintf(format, args...)}
	}
	refuse := func(format string, args ...any) error {
		return &Error{Code: api.CodeForbidden, Msg: fmt.Sprintf(format, args...) + ": a query runs one read-only statement (SELECT, WITH, EXPLAIN without ANALYZE, SHOW, VALUES or TABLE)"}
	}
	switch {
	case len(sql) > MaxSQLBytes:
		return invalid("the SQL text is %d bytes, at most %d", len(sql), MaxSQLBytes)
	case !utf8.ValidString(sql):
		return invalid("the SQL text is not valid UTF-8")
	case strings.ContainsRune(sql, 0):
		return invalid("the SQL text holds a NUL character")
	}
	toks, err := lexSQL(sql)
	if err != nil {
		return invalid("%v", err)
	}
	for i, t := range toks {
		if t.kind == tokSemi && i != len(toks)-1 {
			return refuse("more than one statement (a ; at character %d)", runePos(sql, t.pos))
		}
	}
	if len(toks) > 0 && toks[len(toks)-1].kind == tokSemi {
		toks = toks[:len(toks)-1]
	}
	first := 0
	for first < len(toks) && toks[first].kind == tokOpen {
		first++
	}
	if first == len(toks) {
		return invalid("there is no statement in the SQL text")
	}
	verb := toks[first]
	if verb.kind != tokWord || !contains(readStatements, verb.text) {
		what := "this statement"
		if verb.kind == tokWord {
			what = strings.ToUpper(verb.text)
		}
		return refuse("%s is refused", what)
	}
	for i, t := range toks {
		name := t.text
		called := i+1 < len(toks) && toks[i+1].kind == tokOpen
		switch t.kind {
		case tokWord:
			if w, ok := writeWords[name]; ok {
				return refuse("%s is refused (at character %d)", w, runePos(sql, t.pos))
			}
			if verb.text == "explain" && (name == "analyze" || name == "analyse") {
				return refuse("EXPLAIN ANALYZE runs the statement, so it is refused; EXPLAIN without ANALYZE shows the plan")
			}
			if name == "for" && i+1 < len(toks) && toks[i+1].kind == tokWord {
				if lock, ok := rowLocks[toks[i+1].text]; ok {
					return refuse("%s takes row locks, so it is refused (at character %d)", lock, runePos(sql, t.pos))
				}
			}
		case tokQuoted:
			name = strings.ToLower(name)
		default:
			continue
		}
		if deniedFunctions[name] {
			return refuse("%s() is refused (at character %d)", name, runePos(sql, t.pos))
		}
		if called {
			for _, p := range deniedFunctionPrefixes {
				if strings.HasPrefix(name, p) {
					return refuse("%s() is refused (at character %d)", name, runePos(sql, t.pos))
				}
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
