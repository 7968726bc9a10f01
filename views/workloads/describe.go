package workloads

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/views/table"
)

// Line is one line of the describe pane with its meaning.
type Line struct {
	Text string // already sanitised; may start with indentation
	Tone table.Tone
}

// Section headings of the describe pane (ToneInfo).
const (
	headingConditions  = "Conditions:"
	headingContainers  = "Containers:"
	headingPodTemplate = "Pod Template:"
	headingEvents      = "Events:"
)

// maxAnnotationRunes is how much of an annotation value the describe pane shows.
const maxAnnotationRunes = 120

// noneText marks an absent value, as kubectl describe does.
const noneText = "<none>"

// kvLine is one "Key:  value" entry; extra values go on continuation lines aligned
// with the first value. Keys and values are already sanitised.
type kvLine struct {
	key  string
	vals []string
	tone table.Tone
}

// kvRow builds a one-value row.
func kvRow(key, val string, tone table.Tone) kvLine {
	if val == "" {
		return kvLine{key: key, vals: []string{noneText}, tone: table.ToneMuted}
	}
	return kvLine{key: key, vals: []string{val}, tone: tone}
}

// kvRows builds a row of several values, "<none>" (muted) when there are none.
func kvRows(key string, vals []string) kvLine {
	if len(vals) == 0 {
		return kvRow(key, "", table.ToneNone)
	}
	return kvLine{key: key, vals: vals}
}

// renderKV lays rows out as "Key:  value" with keys padded to the widest key.
func renderKV(indent string, rows []kvLine) []Line {
	width := 0
	for _, r := range rows {
		width = max(width, utf8.RuneCountInString(r.key)+1)
	}
	var out []Line
	for _, r := range rows {
		key := r.key + ":"
		pad := strings.Repeat(" ", width-utf8.RuneCountInString(key)+2)
		cont := indent + strings.Repeat(" ", width+2)
		for i, v := range r.vals {
			if i == 0 {
				out = append(out, Line{Text: indent + key + pad + v, Tone: r.tone})
				continue
			}
			out = append(out, Line{Text: cont + v, Tone: r.tone})
		}
	}
	return out
}

// headingLine is a section heading line.
func headingLine(text string) Line { return Line{Text: text, Tone: table.ToneInfo} }

// noneKVLine is the muted "<none>" under an empty section.
func noneKVLine() Line { return Line{Text: "  " + noneText, Tone: table.ToneMuted} }

// timeWithAge is "2024-05-01T10:00:00Z (5m ago)", or "" for a zero time.
func timeWithAge(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmt.Sprintf("%s (%s ago)", t.UTC().Format(time.RFC3339), Age(t, now))
}

// cutRunes shortens s to n runes followed by "…".
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// labelValues are "key=value" lines sorted by key, sanitised.
func labelValues(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, termtext.Line(k+"="+m[k]))
	}
	return out
}

// annotationValues are like labelValues, without kubectl's last-applied configuration
// (a copy of the whole object) and with long values cut.
func annotationValues(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != corev1.LastAppliedConfigAnnotation {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, termtext.Line(k)+"="+cutRunes(termtext.Line(m[k]), maxAnnotationRunes))
	}
	return out
}

// conditionText is "<status> <reason>: <message>", sanitised, parts present only.
func conditionText(status, reason, message string) string {
	s := termtext.Line(status)
	if reason != "" {
		s += " " + termtext.Line(reason)
	}
	if message != "" {
		s += ": " + termtext.Line(message)
	}
	return s
}

// DescribePod returns the facts an on-call engineer needs about pod p: identity, status,
// owner, labels and annotations, conditions, containers (init containers first), and the
// events among events that involve p, in the given order.
func DescribePod(p *corev1.Pod, events []*corev1.Event, now time.Time) []Line {
	info := PodStatus(p)
	status := fmt.Sprintf("%s, %d/%d ready, %d restarts", info.Status, info.Ready, info.Total, info.Restarts)
	if !info.LastRestart.IsZero() {
		status += fmt.Sprintf(" (last %s ago)", Age(info.LastRestart, now))
	}
	owner := info.Owner
	if owner != "" && info.Deployment != "" {
		owner += " (Deployment " + info.Deployment + ")"
	}
	var ips []string
	for _, ip := range p.Status.PodIPs {
		ips = append(ips, termtext.Line(ip.IP))
	}
	if len(ips) == 0 && p.Status.PodIP != "" {
		ips = append(ips, termtext.Line(p.Status.PodIP))
	}
	var start time.Time
	if p.Status.StartTime != nil {
		start = p.Status.StartTime.Time
	}
	lines := renderKV("", []kvLine{
		kvRow("Name", termtext.Line(p.Name), table.ToneNone),
		kvRow("Namespace", termtext.Line(p.Namespace), table.ToneNone),
		kvRow("Node", info.Node, table.ToneNone),
		kvRow("Status", status, info.Tone),
		kvRow("Owner", owner, table.ToneNone),
		kvRow("IP", strings.Join(ips, ", "), table.ToneNone),
		kvRow("QoS Class", termtext.Line(string(p.Status.QOSClass)), table.ToneNone),
		kvRow("Start Time", timeWithAge(start, now), table.ToneNone),
		kvRows("Labels", labelValues(p.Labels)),
		kvRows("Annotations", annotationValues(p.Annotations)),
	})

	lines = append(lines, headingLine(headingConditions))
	var conds []kvLine
	for _, c := range p.Status.Conditions {
		tone := table.ToneNone
		if c.Status == corev1.ConditionFalse {
			tone = table.ToneWarning
		}
		conds = append(conds, kvRow(termtext.Line(string(c.Type)), conditionText(string(c.Status), c.Reason, c.Message), tone))
	}
	lines = appendRowsOrNone(lines, conds)

	lines = append(lines, headingLine(headingContainers))
	lines = append(lines, containerBlocks(&p.Spec, func(c *corev1.Container, init bool) []kvLine {
		statuses := p.Status.ContainerStatuses
		if init {
			statuses = p.Status.InitContainerStatuses
		}
		return podContainerRows(c, findStatus(statuses, c.Name), now)
	})...)

	return append(lines, eventLines(events, "Pod", p.Namespace, p.Name, p.UID, now)...)
}

// appendRowsOrNone renders rows under a heading, or "<none>".
func appendRowsOrNone(lines []Line, rows []kvLine) []Line {
	if len(rows) == 0 {
		return append(lines, noneKVLine())
	}
	return append(lines, renderKV("  ", rows)...)
}

// containerBlocks renders each container of spec, init containers first and marked, as
// a "  name:" line followed by its rows; "<none>" when there is no container.
func containerBlocks(spec *corev1.PodSpec, rows func(c *corev1.Container, init bool) []kvLine) []Line {
	var lines []Line
	for i := range spec.InitContainers {
		c := &spec.InitContainers[i]
		mark := " (init)"
		if isRestartableInit(c) {
			mark = " (init, sidecar)"
		}
		lines = append(lines, Line{Text: "  " + termtext.Line(c.Name) + mark + ":"})
		lines = append(lines, renderKV("    ", rows(c, true))...)
	}
	for i := range spec.Containers {
		c := &spec.Containers[i]
		lines = append(lines, Line{Text: "  " + termtext.Line(c.Name) + ":"})
		lines = append(lines, renderKV("    ", rows(c, false))...)
	}
	if len(lines) == 0 {
		lines = append(lines, noneKVLine())
	}
	return lines
}

// findStatus returns the status of the container called name, or nil.
func findStatus(list []corev1.ContainerStatus, name string) *corev1.ContainerStatus {
	for i := range list {
		if list[i].Name == name {
			return &list[i]
		}
	}
	return nil
}

// podContainerRows are the rows of one container of a running pod.
func podContainerRows(c *corev1.Container, s *corev1.ContainerStatus, now time.Time) []kvLine {
	rows := []kvLine{kvRow("Image", termtext.Line(c.Image), table.ToneNone)}
	if s == nil {
		rows = append(rows, kvRow("State", "", table.ToneNone))
	} else {
		state, tone := containerState(s.State, now)
		rows = append(rows, kvRow("State", state, tone))
		readyTone := table.ToneOK
		if !s.Ready {
			readyTone = table.ToneWarning
		}
		rows = append(rows, kvRow("Ready", fmt.Sprint(s.Ready), readyTone))
		restartTone := table.ToneNone
		if s.RestartCount > 0 {
			restartTone = table.ToneWarning
		}
		rows = append(rows, kvRow("Restart Count", fmt.Sprint(s.RestartCount), restartTone))
		if t := s.LastTerminationState.Terminated; t != nil {
			text := terminationSummary(t)
			if fin := timeWithAge(t.FinishedAt.Time, now); fin != "" {
				text += ", finished " + fin
			}
			rows = append(rows, kvRow("Last State", text, terminationTone(t)))
		}
	}
	return append(rows, containerSpecRows(c)...)
}

// containerSpecRows are the rows every container shows, in a pod or a pod template:
// requests, limits, ports and the NAMES of its environment variables (values may be
// secrets and are never shown).
func containerSpecRows(c *corev1.Container) []kvLine {
	return []kvLine{
		kvRow("Requests", resourceText(c.Resources.Requests), table.ToneNone),
		kvRow("Limits", resourceText(c.Resources.Limits), table.ToneNone),
		kvRow("Ports", portsText(c.Ports), table.ToneNone),
		kvRows("Env", envNames(c)),
	}
}

// resourceText is "cpu=100m, memory=128Mi" (cpu, memory, then the rest sorted).
func resourceText(list corev1.ResourceList) string {
	names := make([]string, 0, len(list))
	for n := range list {
		names = append(names, string(n))
	}
	rank := func(n string) int {
		switch n {
		case string(corev1.ResourceCPU):
			return 0
		case string(corev1.ResourceMemory):
			return 1
		}
		return 2
	}
	sort.Slice(names, func(i, j int) bool {
		if ri, rj := rank(names[i]), rank(names[j]); ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	parts := make([]string, 0, len(names))
	for _, n := range names {
		q := list[corev1.ResourceName(n)]
		parts = append(parts, termtext.Line(n)+"="+q.String())
	}
	return strings.Join(parts, ", ")
}

// portsText is "8080/TCP (http), 9090/TCP (metrics)".
func portsText(ports []corev1.ContainerPort) string {
	parts := make([]string, 0, len(ports))
	for _, p := range ports {
		proto := p.Protocol
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		s := fmt.Sprintf("%d/%s", p.ContainerPort, termtext.Line(string(proto)))
		if p.Name != "" {
			s += " (" + termtext.Line(p.Name) + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// envNames lists a container's environment: variable names, where a value comes from
// when it is a reference, and whole secrets/config maps imported with envFrom. It never
// contains a literal value.
func envNames(c *corev1.Container) []string {
	var out []string
	for _, e := range c.EnvFrom {
		prefix := ""
		if e.Prefix != "" {
			prefix = termtext.Line(e.Prefix) + "* "
		}
		switch {
		case e.SecretRef != nil:
			out = append(out, prefix+"all keys from secret "+termtext.Line(e.SecretRef.Name))
		case e.ConfigMapRef != nil:
			out = append(out, prefix+"all keys from configmap "+termtext.Line(e.ConfigMapRef.Name))
		}
	}
	for _, e := range c.Env {
		name := termtext.Line(e.Name)
		src := e.ValueFrom
		switch {
		case src == nil:
			out = append(out, name)
		case src.SecretKeyRef != nil:
			out = append(out, name+" from secret "+termtext.Line(src.SecretKeyRef.Name+"/"+src.SecretKeyRef.Key))
		case src.ConfigMapKeyRef != nil:
			out = append(out, name+" from configmap "+termtext.Line(src.ConfigMapKeyRef.Name+"/"+src.ConfigMapKeyRef.Key))
		case src.FieldRef != nil:
			out = append(out, name+" from field "+termtext.Line(src.FieldRef.FieldPath))
		case src.ResourceFieldRef != nil:
			out = append(out, name+" from resource "+termtext.Line(src.ResourceFieldRef.Resource))
		case src.FileKeyRef != nil:
			f := src.FileKeyRef
			out = append(out, name+" from file "+termtext.Line(f.VolumeName+"/"+f.Path+" key "+f.Key))
		default:
			out = append(out, name+" from an unknown source")
		}
	}
	return out
}

// eventLines are the "Events:" section: events involving the object kind/namespace/name
// (and uid, when both sides know it), in the given order.
func eventLines(events []*corev1.Event, kind, namespace, name string, uid types.UID, now time.Time) []Line {
	lines := []Line{headingLine(headingEvents)}
	for _, e := range events {
		if e == nil {
			continue
		}
		io := e.InvolvedObject
		if io.Kind != kind || io.Name != name || io.Namespace != namespace {
			continue
		}
		if io.UID != "" && uid != "" && io.UID != uid {
			continue // an earlier object of the same name
		}
		text := fmt.Sprintf("  %s %s %s: %s", Age(eventTime(e), now), termtext.Line(e.Type),
			termtext.Line(e.Reason), termtext.Line(e.Message))
		count := e.Count
		if e.Series != nil && e.Series.Count > count {
			count = e.Series.Count
		}
		if count > 1 {
			text += fmt.Sprintf(" (x%d)", count)
		}
		tone := table.ToneMuted
		if e.Type == corev1.EventTypeWarning {
			tone = table.ToneWarning
		}
		lines = append(lines, Line{Text: text, Tone: tone})
	}
	if len(lines) == 1 {
		lines = append(lines, noneKVLine())
	}
	return lines
}

// eventTime is when an event last happened, from whichever field its source set (the
// same order as the events table's EventTime).
func eventTime(e *corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return e.Series.LastObservedTime.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	case !e.FirstTimestamp.IsZero():
		return e.FirstTimestamp.Time
	}
	return e.CreationTimestamp.Time
}

// DescribeDeployment returns the facts an on-call engineer needs about deployment d:
// identity, labels and annotations, selector, replicas, strategy, revision, rollout,
// conditions, pod template containers (environment variable names only) and the events
// among events that involve d, in the given order.
func DescribeDeployment(d *appsv1.Deployment, events []*corev1.Event, now time.Time) []Line {
	info := DeploymentStatus(d)
	replicas := fmt.Sprintf("%d desired / %d updated / %d ready / %d available / %d unavailable",
		info.Desired, info.UpToDate, info.Ready, info.Available, d.Status.UnavailableReplicas)
	lines := renderKV("", []kvLine{
		kvRow("Name", termtext.Line(d.Name), table.ToneNone),
		kvRow("Namespace", termtext.Line(d.Namespace), table.ToneNone),
		kvRow("Created", timeWithAge(d.CreationTimestamp.Time, now), table.ToneNone),
		kvRows("Labels", labelValues(d.Labels)),
		kvRows("Annotations", annotationValues(d.Annotations)),
		kvRow("Selector", termtext.Line(metav1.FormatLabelSelector(d.Spec.Selector)), table.ToneNone),
		kvRow("Replicas", replicas, table.ToneNone),
		kvRow("Strategy", strategyText(d.Spec.Strategy), table.ToneNone),
		kvRow("Revision", info.Revision, table.ToneNone),
		kvRow("Rollout", info.Rollout, info.Tone),
	})

	lines = append(lines, headingLine(headingConditions))
	var conds []kvLine
	for _, c := range d.Status.Conditions {
		tone := table.ToneNone
		switch {
		case c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse,
			c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue:
			tone = table.ToneDanger
		case c.Status == corev1.ConditionFalse:
			tone = table.ToneWarning
		}
		conds = append(conds, kvRow(termtext.Line(string(c.Type)), conditionText(string(c.Status), c.Reason, c.Message), tone))
	}
	lines = appendRowsOrNone(lines, conds)

	lines = append(lines, headingLine(headingPodTemplate))
	lines = append(lines, containerBlocks(&d.Spec.Template.Spec, func(c *corev1.Container, _ bool) []kvLine {
		return append([]kvLine{kvRow("Image", termtext.Line(c.Image), table.ToneNone)}, containerSpecRows(c)...)
	})...)

	return append(lines, eventLines(events, "Deployment", d.Namespace, d.Name, d.UID, now)...)
}

// strategyText is "RollingUpdate (maxSurge 25%, maxUnavailable 25%)" or "Recreate".
func strategyText(s appsv1.DeploymentStrategy) string {
	switch s.Type {
	case appsv1.RecreateDeploymentStrategyType:
		return "Recreate"
	case appsv1.RollingUpdateDeploymentStrategyType, "":
		surge, unavailable := "25%", "25%"
		if ru := s.RollingUpdate; ru != nil {
			if ru.MaxSurge != nil {
				surge = ru.MaxSurge.String()
			}
			if ru.MaxUnavailable != nil {
				unavailable = ru.MaxUnavailable.String()
			}
		}
		return fmt.Sprintf("RollingUpdate (maxSurge %s, maxUnavailable %s)", termtext.Line(surge), termtext.Line(unavailable))
	}
	return termtext.Line(string(s.Type))
}

// ObjectYAML renders obj (a *corev1.Pod or *appsv1.Deployment) as YAML lines with
// apiVersion and kind set, without managedFields or kubectl's last-applied configuration,
// every line sanitised. obj is not modified.
func ObjectYAML(obj runtime.Object) ([]string, error) {
	var out runtime.Object
	switch o := obj.(type) {
	case *corev1.Pod:
		if o == nil {
			return nil, fmt.Errorf("object yaml: nil pod")
		}
		c := o.DeepCopy()
		c.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}
		trimMeta(&c.ObjectMeta)
		hideEnvValues(&c.Spec)
		out = c
	case *appsv1.Deployment:
		if o == nil {
			return nil, fmt.Errorf("object yaml: nil deployment")
		}
		c := o.DeepCopy()
		c.TypeMeta = metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}
		trimMeta(&c.ObjectMeta)
		hideEnvValues(&c.Spec.Template.Spec)
		out = c
	default:
		return nil, fmt.Errorf("object yaml: unsupported object type %T", obj)
	}
	// yaml.Marshal is json.Marshal then JSONToYAML, whose YAML reader refuses characters
	// YAML does not allow raw (DEL, C1 controls) though JSON does: escape them in the
	// JSON first, so an object with a hostile annotation still renders.
	js, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("object yaml: %w", err)
	}
	b, err := yaml.JSONToYAML(escapeNonYAMLRunes(js))
	if err != nil {
		return nil, fmt.Errorf("object yaml: %w", err)
	}
	raw := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	lines := make([]string, len(raw))
	for i, l := range raw {
		lines[i] = termtext.Line(l)
	}
	return lines, nil
}

// escapeNonYAMLRunes rewrites, inside JSON text, the characters a YAML stream may not
// carry raw as \uXXXX escapes. They can only occur inside JSON strings (the JSON syntax
// itself is ASCII), where the escape means the same character.
func escapeNonYAMLRunes(js []byte) []byte {
	bad := func(r rune) bool { return r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0xfffe || r == 0xffff }
	if !bytes.ContainsFunc(js, bad) {
		return js
	}
	out := make([]byte, 0, len(js)+16)
	for len(js) > 0 {
		r, size := utf8.DecodeRune(js)
		if bad(r) {
			out = fmt.Appendf(out, "\\u%04x", r)
		} else {
			out = append(out, js[:size]...)
		}
		js = js[size:]
	}
	return out
}

// trimMeta drops what nobody reads in a YAML view: managedFields and the last-applied
// configuration (m belongs to a copy).
func trimMeta(m *metav1.ObjectMeta) {
	m.ManagedFields = nil
	if _, ok := m.Annotations[corev1.LastAppliedConfigAnnotation]; ok {
		ann := make(map[string]string, len(m.Annotations))
		for k, v := range m.Annotations {
			if k != corev1.LastAppliedConfigAnnotation {
				ann[k] = v
			}
		}
		if len(ann) == 0 {
			ann = nil
		}
		m.Annotations = ann
	}
}

// HiddenEnvValue replaces literal env values in the YAML view: teams put secrets there
// more often than they should, and vigie never draws a secret. The names stay.
const HiddenEnvValue = "<hidden by vigie: env values may hold secrets>"

func hideEnvValues(spec *corev1.PodSpec) {
	for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range cs {
			for j := range cs[i].Env {
				if cs[i].Env[j].Value != "" {
					cs[i].Env[j].Value = HiddenEnvValue
				}
			}
		}
	}
}
