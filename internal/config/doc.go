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
//	contexts:
//	  NAME:                      # [a-z0-9][a-z0-9._-]*, at most 63 characters
//	    environment: dev         # required: production | staging | dev
//	    team: TEAM               # must be a key of teams when teams is not empty
//	    readOnly: false
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
//	    services: [NAME, ...]
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
// # Environment and flags
//
// They apply to the selected context: VIGIE_CONTEXT/--context (select),
// VIGIE_KUBECONFIG/--kubeconfig, VIGIE_TEAM/--team, VIGIE_READ_ONLY/--read-only,
// VIGIE_LOG_FILE/--log-file, VIGIE_PROMETHEUS_URL, VIGIE_ALERTMANAGER_URL, VIGIE_LOKI_URL
// (each creates the section when the file has none), VIGIE_LOKI_TENANT,
// VIGIE_PLATFORM_URL, VIGIE_PLATFORM_TOKEN, VIGIE_ENVIRONMENT. VIGIE_THEME replaces the
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
