package keymaps

import "charm.land/bubbles/v2/key"

// Action is a binding with its stable name ("workloads.restart"). Binding points into the
// key map it came from, so changing it changes the map.
type Action struct {
	Name    string
	Binding *key.Binding
}

// GlobalKeyMap holds the keys live on every screen.
type GlobalKeyMap struct {
	Quit    key.Binding
	Help    key.Binding
	Palette key.Binding
	Back    key.Binding
	Refresh key.Binding
}

// DefaultGlobalKeyMap returns the default global keys.
func DefaultGlobalKeyMap() GlobalKeyMap {
	return GlobalKeyMap{
		Quit:    bind("quit", "q", "ctrl+c"),
		Help:    bind("help", "?"),
		Palette: bind("command palette", ":"),
		Back:    bind("back", "esc"),
		Refresh: bind("refresh", "ctrl+r"),
	}
}

// Actions names the bindings of k.
func (k *GlobalKeyMap) Actions() []Action {
	return []Action{
		{"global.quit", &k.Quit},
		{"global.help", &k.Help},
		{"global.palette", &k.Palette},
		{"global.back", &k.Back},
		{"global.refresh", &k.Refresh},
	}
}

// ShortHelp implements help.KeyMap.
func (k GlobalKeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Help, k.Quit} }

// FullHelp implements help.KeyMap.
func (k GlobalKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Palette, k.Refresh, k.Back, k.Help, k.Quit}}
}

// TableKeyMap holds list navigation, sorting and filtering. Its navigation part also
// scrolls the logs screen.
type TableKeyMap struct {
	Up           key.Binding
	Down         key.Binding
	Top          key.Binding
	Bottom       key.Binding
	PageUp       key.Binding
	PageDown     key.Binding
	HalfPageUp   key.Binding
	HalfPageDown key.Binding
	SortNext     key.Binding
	SortPrev     key.Binding
	SortReverse  key.Binding
	Filter       key.Binding
}

// DefaultTableKeyMap returns the default table keys.
func DefaultTableKeyMap() TableKeyMap {
	return TableKeyMap{
		Up:           bind("up", "up", "k"),
		Down:         bind("down", "down", "j"),
		Top:          bind("top", "g", "home"),
		Bottom:       bind("bottom", "G", "end"),
		PageUp:       bind("page up", "pgup", "ctrl+b"),
		PageDown:     bind("page down", "pgdown", "ctrl+f"),
		HalfPageUp:   bind("half page up", "ctrl+u"),
		HalfPageDown: bind("half page down", "ctrl+d"),
		SortNext:     bind("sort next column", ">"),
		SortPrev:     bind("sort previous column", "<"),
		SortReverse:  bind("reverse sort", "r"),
		Filter:       bind("filter", "/"),
	}
}

// Actions names the bindings of k.
func (k *TableKeyMap) Actions() []Action {
	return append(k.navigationActions(),
		Action{"table.sort-next", &k.SortNext},
		Action{"table.sort-prev", &k.SortPrev},
		Action{"table.sort-reverse", &k.SortReverse},
		Action{"table.filter", &k.Filter},
	)
}

func (k *TableKeyMap) navigationActions() []Action {
	return []Action{
		{"table.up", &k.Up},
		{"table.down", &k.Down},
		{"table.top", &k.Top},
		{"table.bottom", &k.Bottom},
		{"table.page-up", &k.PageUp},
		{"table.page-down", &k.PageDown},
		{"table.half-page-up", &k.HalfPageUp},
		{"table.half-page-down", &k.HalfPageDown},
	}
}

// Navigation returns the moving and scrolling bindings (no sorting, no filter).
func (k TableKeyMap) Navigation() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown, k.HalfPageUp, k.HalfPageDown}
}

// ShortHelp implements help.KeyMap.
func (k TableKeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Up, k.Down, k.Filter} }

// FullHelp implements help.KeyMap: navigation, then sorting and filtering.
func (k TableKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{k.Navigation(), {k.Filter, k.SortNext, k.SortPrev, k.SortReverse}}
}

// WorkloadsKeyMap holds the workloads screen's own keys.
type WorkloadsKeyMap struct {
	Open     key.Binding
	Describe key.Binding
	YAML     key.Binding
	Logs     key.Binding
	Events   key.Binding
	Restart  key.Binding // dangerous
	Scale    key.Binding // dangerous
	Rollback key.Binding // dangerous
	Delete   key.Binding // dangerous: delete one pod (its ReplicaSet replaces it)
}

// DefaultWorkloadsKeyMap returns the default workloads keys.
func DefaultWorkloadsKeyMap() WorkloadsKeyMap {
	return WorkloadsKeyMap{
		Open:     bind("open", "enter"),
		Describe: bind("describe", "d"),
		YAML:     bind("yaml", "y"),
		Logs:     bind("logs", "l"),
		Events:   bind("events", "e"),
		Restart:  bindDanger("restart", "R"),
		Scale:    bindDanger("scale", "S"),
		Rollback: bindDanger("rollback", "U"),
		Delete:   bindDanger("delete pod", "D"),
	}
}

// Actions names the bindings of k.
func (k *WorkloadsKeyMap) Actions() []Action {
	return []Action{
		{"workloads.open", &k.Open},
		{"workloads.describe", &k.Describe},
		{"workloads.yaml", &k.YAML},
		{"workloads.logs", &k.Logs},
		{"workloads.events", &k.Events},
		{"workloads.restart", &k.Restart},
		{"workloads.scale", &k.Scale},
		{"workloads.rollback", &k.Rollback},
		{"workloads.delete-pod", &k.Delete},
	}
}

// ShortHelp implements help.KeyMap.
func (k WorkloadsKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Open, k.Logs, k.Describe}
}

// FullHelp implements help.KeyMap: views, then the dangerous actions.
func (k WorkloadsKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Open, k.Describe, k.YAML, k.Logs, k.Events},
		{k.Restart, k.Scale, k.Rollback, k.Delete},
	}
}

// LogsKeyMap holds the logs screen's own keys; it scrolls with the table navigation.
type LogsKeyMap struct {
	Search     key.Binding
	NextMatch  key.Binding
	PrevMatch  key.Binding
	Follow     key.Binding
	Wrap       key.Binding
	Timestamps key.Binding
	Zoom       key.Binding
	Copy       key.Binding
	Save       key.Binding
	Filter     key.Binding // keep or drop lines (regex), a separate thing from search
	Pods       key.Binding // pod/container column on or off
	Left       key.Binding
	Right      key.Binding
	Previous   key.Binding // the previous (crashed) container's logs
	Window     key.Binding // a time window instead of following
	Jump       key.Binding // jump to a time
	BucketPrev key.Binding // the previous bucket of the volume line
	BucketNext key.Binding
}

// DefaultLogsKeyMap returns the default logs keys.
func DefaultLogsKeyMap() LogsKeyMap {
	return LogsKeyMap{
		Search:     bind("search", "/"),
		NextMatch:  bind("next match", "n"),
		PrevMatch:  bind("previous match", "N"),
		Follow:     bind("follow", "f"),
		Wrap:       bind("wrap lines", "w"),
		Timestamps: bind("timestamps", "t"),
		Zoom:       bind("zoom", "z"),
		Copy:       bind("copy line", "c"),
		Save:       bind("save to file", "ctrl+s"),
		Filter:     bind("filter lines (&!re excludes)", "&"),
		Pods:       bind("pod column", "p"),
		Left:       bind("scroll left", "left", "h"),
		Right:      bind("scroll right", "right", "l"),
		Previous:   bind("previous container", "P"),
		Window:     bind("time window", "T"),
		Jump:       bind("jump to time", "@"),
		BucketPrev: bind("previous volume bucket", "["),
		BucketNext: bind("next volume bucket", "]"),
	}
}

// Actions names the bindings of k.
func (k *LogsKeyMap) Actions() []Action {
	return []Action{
		{"logs.search", &k.Search},
		{"logs.next-match", &k.NextMatch},
		{"logs.prev-match", &k.PrevMatch},
		{"logs.follow", &k.Follow},
		{"logs.wrap", &k.Wrap},
		{"logs.timestamps", &k.Timestamps},
		{"logs.zoom", &k.Zoom},
		{"logs.copy", &k.Copy},
		{"logs.save", &k.Save},
		{"logs.filter", &k.Filter},
		{"logs.pods", &k.Pods},
		{"logs.left", &k.Left},
		{"logs.right", &k.Right},
		{"logs.previous", &k.Previous},
		{"logs.window", &k.Window},
		{"logs.jump", &k.Jump},
		{"logs.bucket-prev", &k.BucketPrev},
		{"logs.bucket-next", &k.BucketNext},
	}
}

// ShortHelp implements help.KeyMap.
func (k LogsKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Follow, k.Search, k.Wrap}
}

// FullHelp implements help.KeyMap: search, display, export.
func (k LogsKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Search, k.NextMatch, k.PrevMatch, k.Filter},
		{k.Follow, k.Wrap, k.Timestamps, k.Pods, k.Zoom, k.Left, k.Right, k.Previous},
		{k.Window, k.Jump, k.BucketPrev, k.BucketNext, k.Copy, k.Save},
	}
}

// AlertsKeyMap holds the alerts screen's own keys.
type AlertsKeyMap struct {
	Open      key.Binding
	Runbook   key.Binding
	Metrics   key.Binding
	Workloads key.Binding
	Logs      key.Binding
	Silence   key.Binding // dangerous
}

// DefaultAlertsKeyMap returns the default alerts keys.
func DefaultAlertsKeyMap() AlertsKeyMap {
	return AlertsKeyMap{
		Open:      bind("details", "enter"),
		Runbook:   bind("runbook", "b"),
		Metrics:   bind("metrics", "m"),
		Workloads: bind("workloads", "o"),
		Logs:      bind("logs", "l"),
		Silence:   bindDanger("silence", "S"),
	}
}

// Actions names the bindings of k.
func (k *AlertsKeyMap) Actions() []Action {
	return []Action{
		{"alerts.open", &k.Open},
		{"alerts.runbook", &k.Runbook},
		{"alerts.metrics", &k.Metrics},
		{"alerts.workloads", &k.Workloads},
		{"alerts.logs", &k.Logs},
		{"alerts.silence", &k.Silence},
	}
}

// ShortHelp implements help.KeyMap.
func (k AlertsKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Open, k.Runbook, k.Metrics}
}

// FullHelp implements help.KeyMap: jumps, then the dangerous actions.
func (k AlertsKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Open, k.Runbook, k.Metrics, k.Workloads, k.Logs},
		{k.Silence},
	}
}

// HomeKeyMap holds the team home screen's own keys (one row per service).
type HomeKeyMap struct {
	Open   key.Binding // the service's metrics
	Alerts key.Binding
	Pods   key.Binding
	Logs   key.Binding
}

// DefaultHomeKeyMap returns the default home keys.
func DefaultHomeKeyMap() HomeKeyMap {
	return HomeKeyMap{
		Open:   bind("metrics", "enter"),
		Alerts: bind("alerts", "a"),
		Pods:   bind("pods", "p"),
		Logs:   bind("logs", "l"),
	}
}

// Actions names the bindings of k.
func (k *HomeKeyMap) Actions() []Action {
	return []Action{
		{"home.open", &k.Open},
		{"home.alerts", &k.Alerts},
		{"home.pods", &k.Pods},
		{"home.logs", &k.Logs},
	}
}

// ShortHelp implements help.KeyMap.
func (k HomeKeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Open, k.Alerts, k.Pods} }

// FullHelp implements help.KeyMap.
func (k HomeKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Open, k.Alerts, k.Pods, k.Logs}}
}

// MetricsKeyMap holds the metrics screen's keys: the time range and the cursor.
type MetricsKeyMap struct {
	Shorter key.Binding // zoom in: the next shorter preset range
	Longer  key.Binding // zoom out
	Window  key.Binding // type an absolute window
	Live    key.Binding // back to a range ending now
	Left    key.Binding // cursor
	Right   key.Binding
	Logs    key.Binding
}

// DefaultMetricsKeyMap returns the default metrics keys.
func DefaultMetricsKeyMap() MetricsKeyMap {
	return MetricsKeyMap{
		Shorter: bind("shorter range", "-"),
		Longer:  bind("longer range", "+", "="),
		Window:  bind("time window", "t"),
		Live:    bind("back to now", "0"),
		Left:    bind("cursor left", "left", "h"),
		Right:   bind("cursor right", "right", "l"),
		Logs:    bind("logs of the window", "L"),
	}
}

// Actions names the bindings of k.
func (k *MetricsKeyMap) Actions() []Action {
	return []Action{
		{"metrics.shorter", &k.Shorter},
		{"metrics.longer", &k.Longer},
		{"metrics.window", &k.Window},
		{"metrics.live", &k.Live},
		{"metrics.left", &k.Left},
		{"metrics.right", &k.Right},
		{"metrics.logs", &k.Logs},
	}
}

// ShortHelp implements help.KeyMap.
func (k MetricsKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Shorter, k.Longer, k.Window, k.Left}
}

// FullHelp implements help.KeyMap.
func (k MetricsKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Shorter, k.Longer, k.Window, k.Live}, {k.Left, k.Right, k.Logs}}
}
