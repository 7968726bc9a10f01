// Package keymaps holds the key bindings of every screen as bubbles key.Binding structs,
// their stable action names, user overrides, conflict checks and read-only mode.
//
// Nothing here is package-level state: [Default] and the Default*KeyMap functions build
// fresh values; cmd/ builds one [Set], applies the user's overrides ([Set.Apply]) and, for a
// read-only context or a review session, [Set.ApplyReadOnly], then passes it down.
//
// # Action names
//
// Every binding has a stable name "scope.action" ("global.quit", "table.down",
// "workloads.restart"). Names are the interface of the config file: a binding may change
// its default keys, never its name. [Set.Actions] lists them and [Set.Lookup] finds one.
//
// # Scopes and conflicts
//
// Keys are resolved per screen: the global keys, then the screen's own. A conflict is two
// actions that are live on the same screen and share a key:
//
//	workloads screen: global + table + workloads
//	alerts screen:    global + table + alerts
//	logs screen:      global + table navigation (scrolling) + logs
//	other lists:      global + table
//
// [Set.Check] finds conflicts, the defaults have none (tested), and [Set.Apply] refuses
// overrides that create one.
//
// # Key choices
//
// Navigation is vim- and less-like, as in k9s: j/k and arrows, g/G and home/end, ctrl+b/ctrl+f
// and pgup/pgdown for pages, ctrl+u/ctrl+d for half pages. k9s sorts with shift+letter per
// column; column letters vary by screen, so vigie uses "<" and ">" to move the sort column
// and "r" to reverse it, which works the same on every table.
//
// "/" filters the rows of a table (k9s) and searches in the logs screen (less), where n/N
// jump between matches. Filtering is therefore a table action ("table.filter"), not a global
// one: the logs screen has no table filter, so "/" can mean search there without a conflict.
//
// Every dangerous action is a shift+letter, never a bare lowercase letter, enter or space, so
// a stray key or a sort key ("r") cannot start one, and each opens a confirmation dialog
// anyway: R restart (rollout restart), S scale, U rollback (undo, as kubectl rollout undo),
// and S silence in the alerts screen. [Dangerous] lists them; read-only mode disables them
// and disabled bindings vanish from the help by themselves. Their help text carries
// [DangerMark] and they get their own help column.
//
// Bindings are matched against tea.KeyPressMsg.String(): printable keys by their text ("G",
// "?", ":"), others by their keystroke ("ctrl+r", "pgdown", "f5"). [NormalizeKey] turns what
// a user writes into that form ("F5" -> "f5", "shift+g" -> "G", "shift+ctrl+x" -> "ctrl+shift+x").
// Text-entry widgets (the filter prompt, the palette) take the keyboard while focused; these
// bindings apply only when no input has focus.
package keymaps
