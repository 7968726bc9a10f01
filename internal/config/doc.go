// Package config loads, validates and edits vigie's configuration.
//
// # Where it comes from
//
// Three layers, each overriding the one before: the file, the VIGIE_* environment, the
// command-line flags. The file is LoadOptions.Path (--config), else $VIGIE_CONFIG, else
// $XDG_CONFIG_HOME/vigie/config.yaml, else ~/.config/vigie/config.yaml. A missing
// default file is an empty configuration; a missing explicit file is an error.
//
// # Using it
//
//	res, err := config.Load(config.LoadOptions{
//		Path:  flags.Config,
//		Env:   os.LookupEnv,
//		Flags: config.Overrides{Context: flags.Context, Team: flags.Team, ReadOnly: flags.ReadOnly},
//	})
//	var problems config.Errors
//	if errors.As(err, &problems) { /* every problem, each with file:line:col */ }
//	ctx := res.Context // selected context after overrides, nil if none is selected
//	team := res.Team   // selected team, nil if none
//	if ctx != nil && ctx.Prometheus != nil {
//		url, token := ctx.Prometheus.URL, ctx.Prometheus.BearerToken.Reveal()
//	}
//	ui := res.UI // theme and key overrides, checked by keymaps and themes in cmd/vigie
//	logs := res.Logs // ring size, pod log streams, history: defaults filled in
//	if team != nil {
//		for _, svc := range team.Services { // file order
//			sc := team.ServiceConfig[svc] // SLO (nil for none), Queries by signal name
//			// compile sc.Queries; report a bad one at res.QueryPosition(team.Name, svc, signal)
//		}
//	}
//
// Load returns either a fully valid Resolved or an error: Errors (every problem found in
// the file, the environment and the flags, sorted by position) or a plain error for a
// file that cannot be found or read. LoadFile parses the file alone and returns what it
// could decode even when it has problems (for shell completion); FindFile only says
// which file would be used; SetCurrentContext edits current-context in place.
//
// # Schema
//
//	current-context: NAME
//	log-file: PATH
//	theme: auto                  # auto, dark, light, high-contrast, mono, or a theme file PATH
//	keys:                        # key overrides by action name (package keymaps)
//	  table.filter: "/"          # a key,
//	  global.quit: [q, ctrl+c]   # a list of keys,
//	  workloads.describe: []     # or [] to unbind
//	logs:
//	  ringSize: 100000           # lines kept per logs screen, 1000..5000000
//	  maxStreams: 8              # concurrent pod log streams, 1..64
//	  since: 15m                 # history shown when a logs screen opens (Go duration)
//	contexts:
//	  NAME:                      # [a-z0-9][a-z0-9._-]*, at most 63 characters
//	    environment: dev         # required: production | staging | dev
//	    team: TEAM               # must be a key of teams when teams is not empty
//	    readOnly: false
//	    runbooks: PATH           # a folder of runbooks; must exist
//	    kube: {kubeconfig: PATH, context: KUBE-CONTEXT}
//	    prometheus:   {url: URL, bearerToken: S | bearerTokenFile: PATH, timeout: 10s}
//	    alertmanager: {url: URL, bearerToken: S | bearerTokenFile: PATH, timeout: 10s}
//	    loki: {url: URL, tenant: ORG-ID, username: U, password: S | passwordFile: PATH,
//	           bearerToken: S | bearerTokenFile: PATH, timeout: 10s}
//	    platform: {url: URL, token: S | tokenFile: PATH}
//	teams:
//	  TEAM:
//	    namespaces: [NS, ...]    # required, DNS-1123 labels
//	    selector: team=payments  # Kubernetes label selector
//	    alertMatchers: {LABEL: VALUE, ...}  # default {team: TEAM}
//	    services:                # [NAME, ...], or a mapping of NAME to settings:
//	      NAME:
//	        slo: {objective: 99.5, window: 30d}   # percent in (0, 100); window in d/h/m
//	        queries: {SIGNAL: TEMPLATE, ...}      # PromQL template overrides
//	      NAME: {}
//
// Unknown and duplicate keys are errors. Source sections are optional, but a section
// needs its url (absolute http or https, without credentials, query or fragment).
// Timeouts are Go durations greater than zero (default 10s). An inline secret and its
// File form are exclusive; loki basic auth needs both username and a password, and
// excludes a bearer token. Paths expand a leading ~ and are relative to the file's
// directory. YAML anchors, aliases and merge keys (<<) work.
//
// # Theme and keys
//
// This package stays free of UI packages: it checks the shape of theme and keys, and
// cmd/vigie checks the rest with keymaps and themes, using the positions UI keeps
// (UI.KeyPosition, UI.ThemePosition) so that those problems read like the others.
// theme is a string: auto or a built-in name (case-insensitive, see ThemeNames), else a
// path to a YAML theme file (relative, ~ expanded) that Load requires to exist; a value
// close to a built-in name gets a did-you-mean hint. keys maps an action name to a key
// or a list of keys, kept as written (Resolved.UI.Keys); [] unbinds the action; a null
// or empty key is a problem (YAML reads a bare ~, # or ! as no value, and > or | as a
// block). Problems name the field keys.table.filter (see KeyPath).
//
// # Services, alerts, logs and runbooks
//
// services is a list of names or a mapping of name to settings; either way Team.Services
// lists the names in file order and Team.ServiceConfig has an entry for each (the zero
// ServiceConfig for a service without settings). A listed name may appear once. slo
// needs objective, a percentage (a YAML number) greater than 0 and less than 100, kept
// as a ratio (SLO.Objective 0.995 for 99.5); window is whole days, hours and minutes
// (30d, 7d, 12h, 1d12h; default DefaultSLOWindow). queries maps a signal name (see
// SignalNames; latency stands for the three quantiles) to a PromQL template, kept as
// written: this package only checks that it is a non-empty string, and the Prometheus
// source compiles it; report its errors at Config.QueryPosition (or
// Resolved.QueryPosition), named QueryPath.
//
// alertMatchers are label equality matchers (label name -> value) that select the
// team's alerts in Alertmanager. Label names are Prometheus label names, values are
// non-empty, and an explicit mapping needs at least one; absent, Team.AlertMatchers is
// {"team": NAME}, also for a team known only by its name.
//
// runbooks is a local folder (relative to the file's folder, ~ expanded) kept absolute in
// Context.Runbooks; Load requires the selected context's folder (every context's with
// SecretFilesAll) to exist and be a folder. logs fills Resolved.Logs over DefaultLogs.
//
// # Environment and flags
//
// They apply to the selected context: VIGIE_CONTEXT/--context (select),
// VIGIE_KUBECONFIG/--kubeconfig, VIGIE_TEAM/--team, VIGIE_READ_ONLY/--read-only,
// VIGIE_LOG_FILE/--log-file, VIGIE_PROMETHEUS_URL, VIGIE_ALERTMANAGER_URL, VIGIE_LOKI_URL
// (each creates the section when the file has none), VIGIE_LOKI_TENANT,
// VIGIE_PLATFORM_URL, VIGIE_PLATFORM_TOKEN, VIGIE_ENVIRONMENT, VIGIE_RUNBOOKS (a
// relative path there is from the current directory). VIGIE_THEME replaces the
// theme (a relative path there is from the current directory; UI.ThemePosition is then
// "$VIGIE_THEME"). Empty variables count as unset. VIGIE_READ_ONLY takes
// 1/0/true/false/yes/no.
//
// Safety settings only tighten: read-only is on when the file, VIGIE_READ_ONLY or
// --read-only says so, and VIGIE_ENVIRONMENT can make a context stricter (dev to
// staging or production) but never looser. An ignored loosening is reported in
// Resolved.Notices.
//
// # Secrets
//
// Secrets have the type Secret, which prints, encodes and logs as "<redacted>": redaction
// lives there and nowhere else. Secret files of the selected context are read at load
// (LoadOptions.SecretFiles), with the trailing newline trimmed; their problems name the
// field and the file, never the content. Problems never quote a secret value.
package config
