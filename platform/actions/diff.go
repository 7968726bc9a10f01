package actions

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"

	"github.com/vigie-dev/vigie/platform/api"
)

// PodTemplateHashLabel is the label the Deployment controller adds to the pod template of
// each ReplicaSet (and its pods); it is not part of the Deployment's template.
const PodTemplateHashLabel = "pod-template-hash"

// maxShown bounds a value shown in a Change (an env value or an annotation can be long).
const maxShown = 256

// withoutHash returns a copy of tpl without the pod-template-hash label.
func withoutHash(tpl *corev1.PodTemplateSpec) *corev1.PodTemplateSpec {
	out := tpl.DeepCopy()
	delete(out.Labels, PodTemplateHashLabel)
	if len(out.Labels) == 0 {
		out.Labels = nil
	}
	return out
}

// equalIgnoreHash reports whether two pod templates are the same but for the
// pod-template-hash label (the controller's own test of "this ReplicaSet is the
// Deployment's current one").
func equalIgnoreHash(a, b *corev1.PodTemplateSpec) bool {
	return apiequality.Semantic.DeepEqual(withoutHash(a), withoutHash(b))
}

// secretLooking reports whether an environment variable's name suggests a secret value.
func secretLooking(name string) bool {
	n := strings.ToUpper(name)
	for _, w := range []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY", "CREDENTIAL"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// templateChanges lists what changes when the pod template goes from `from` to `to`:
// images, environment (secret-looking values masked), resources, annotations and labels
// (without pod-template-hash), and one entry when other fields differ too.
func templateChanges(from, to *corev1.PodTemplateSpec) []api.Change {
	from, to = withoutHash(from), withoutHash(to)
	var out []api.Change
	out = append(out, containerChanges("initContainers", from.Spec.InitContainers, to.Spec.InitContainers)...)
	out = append(out, containerChanges("containers", from.Spec.Containers, to.Spec.Containers)...)
	out = append(out, mapChanges("spec.template.metadata.annotations", from.Annotations, to.Annotations)...)
	out = append(out, mapChanges("spec.template.metadata.labels", from.Labels, to.Labels)...)
	if !apiequality.Semantic.DeepEqual(rest(from), rest(to)) {
		out = append(out, api.Change{Field: "spec.template (other fields)", From: "", To: "(changed)"})
	}
	return out
}

// rest is the template without what templateChanges lists item by item.
func rest(tpl *corev1.PodTemplateSpec) *corev1.PodTemplateSpec {
	out := tpl.DeepCopy()
	out.Annotations, out.Labels = nil, nil
	for _, cs := range [][]corev1.Container{out.Spec.InitContainers, out.Spec.Containers} {
		for i := range cs {
			cs[i].Image, cs[i].Env, cs[i].Resources = "", nil, corev1.ResourceRequirements{}
		}
	}
	return out
}

// containerChanges compares containers by name: those of `to` in its order, then those
// only in `from`. A container present on one side only shows its image, environment and
// resources against nothing.
func containerChanges(list string, from, to []corev1.Container) []api.Change {
	byName := func(cs []corev1.Container) map[string]*corev1.Container {
		m := map[string]*corev1.Container{}
		for i := range cs {
			m[cs[i].Name] = &cs[i]
		}
		return m
	}
	f, t := byName(from), byName(to)
	var names []string
	for _, c := range to {
		names = append(names, c.Name)
	}
	for _, c := range from {
		if _, ok := t[c.Name]; !ok {
			names = append(names, c.Name)
		}
	}
	var out []api.Change
	for _, name := range names {
		a, b := f[name], t[name]
		if a == nil {
			a = &corev1.Container{}
		}
		if b == nil {
			b = &corev1.Container{}
		}
		prefix := fmt.Sprintf("spec.template.spec.%s[%s]", list, name)
		if a.Image != b.Image {
			out = append(out, api.Change{Field: prefix + ".image", From: a.Image, To: b.Image})
		}
		out = append(out, envChanges(prefix+".env", a.Env, b.Env)...)
		out = append(out, resourceChanges(prefix+".resources.requests", a.Resources.Requests, b.Resources.Requests)...)
		out = append(out, resourceChanges(prefix+".resources.limits", a.Resources.Limits, b.Resources.Limits)...)
	}
	return out
}

// envChanges compares environment variables by name (the last definition of a name
// wins, as in the kubelet), in the order of `to` and then those only in `from`.
func envChanges(field string, from, to []corev1.EnvVar) []api.Change {
	index := func(env []corev1.EnvVar) (map[string]corev1.EnvVar, []string) {
		m := map[string]corev1.EnvVar{}
		var order []string
		for _, e := range env {
			if _, seen := m[e.Name]; !seen {
				order = append(order, e.Name)
			}
			m[e.Name] = e
		}
		return m, order
	}
	f, fOrder := index(from)
	t, tOrder := index(to)
	names := tOrder
	for _, n := range fOrder {
		if _, ok := t[n]; !ok {
			names = append(names, n)
		}
	}
	var out []api.Change
	for _, n := range names {
		a, inA := f[n]
		b, inB := t[n]
		if inA && inB && apiequality.Semantic.DeepEqual(a, b) {
			continue
		}
		out = append(out, api.Change{Field: field + "[" + n + "]", From: envShown(a, inA, b, inB), To: envShown(b, inB, a, inA)})
	}
	return out
}

// envShown is how one side of an environment variable is shown: "" when absent, the
// reference when it comes from elsewhere, the literal value, or, for a secret-looking
// name, only whether it equals the other side's literal value.
func envShown(v corev1.EnvVar, present bool, other corev1.EnvVar, otherPresent bool) string {
	switch {
	case !present:
		return ""
	case v.ValueFrom != nil:
		return envSource(v.ValueFrom)
	case secretLooking(v.Name):
		if otherPresent && other.ValueFrom == nil && other.Value == v.Value {
			return api.SecretSame
		}
		return api.SecretChanged
	}
	return clip(v.Value)
}

func envSource(s *corev1.EnvVarSource) string {
	switch {
	case s.SecretKeyRef != nil:
		return fmt.Sprintf("secret %s key %s", s.SecretKeyRef.Name, s.SecretKeyRef.Key)
	case s.ConfigMapKeyRef != nil:
		return fmt.Sprintf("configmap %s key %s", s.ConfigMapKeyRef.Name, s.ConfigMapKeyRef.Key)
	case s.FieldRef != nil:
		return "field " + s.FieldRef.FieldPath
	case s.ResourceFieldRef != nil:
		return "resource " + s.ResourceFieldRef.Resource
	}
	return "(from elsewhere)"
}

func resourceChanges(field string, from, to corev1.ResourceList) []api.Change {
	var names []string
	for n := range from {
		names = append(names, string(n))
	}
	for n := range to {
		if _, ok := from[n]; !ok {
			names = append(names, string(n))
		}
	}
	sort.Strings(names)
	var out []api.Change
	for _, n := range names {
		a, inA := from[corev1.ResourceName(n)]
		b, inB := to[corev1.ResourceName(n)]
		if inA && inB && a.Cmp(b) == 0 {
			continue
		}
		c := api.Change{Field: field + "." + n}
		if inA {
			c.From = a.String()
		}
		if inB {
			c.To = b.String()
		}
		out = append(out, c)
	}
	return out
}

func mapChanges(field string, from, to map[string]string) []api.Change {
	var keys []string
	for k := range from {
		keys = append(keys, k)
	}
	for k := range to {
		if _, ok := from[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []api.Change
	for _, k := range keys {
		a, inA := from[k]
		b, inB := to[k]
		if inA == inB && a == b {
			continue
		}
		out = append(out, api.Change{Field: field + "[" + k + "]", From: clip(a), To: clip(b)})
	}
	return out
}

// templateRefs names the ConfigMaps and Secrets a pod template reads (envFrom, env
// valueFrom, volumes, projected volumes), as "configmap/NAME" and "secret/NAME", sorted.
func templateRefs(tpl *corev1.PodTemplateSpec) []string {
	set := map[string]bool{}
	add := func(kind, name string) {
		if name != "" {
			set[kind+"/"+name] = true
		}
	}
	for _, cs := range [][]corev1.Container{tpl.Spec.InitContainers, tpl.Spec.Containers} {
		for _, c := range cs {
			for _, ef := range c.EnvFrom {
				if ef.ConfigMapRef != nil {
					add("configmap", ef.ConfigMapRef.Name)
				}
				if ef.SecretRef != nil {
					add("secret", ef.SecretRef.Name)
				}
			}
			for _, e := range c.Env {
				if e.ValueFrom == nil {
					continue
				}
				if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
					add("configmap", r.Name)
				}
				if r := e.ValueFrom.SecretKeyRef; r != nil {
					add("secret", r.Name)
				}
			}
		}
	}
	for _, v := range tpl.Spec.Volumes {
		if v.ConfigMap != nil {
			add("configmap", v.ConfigMap.Name)
		}
		if v.Secret != nil {
			add("secret", v.Secret.SecretName)
		}
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.ConfigMap != nil {
					add("configmap", s.ConfigMap.Name)
				}
				if s.Secret != nil {
					add("secret", s.Secret.Name)
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func clip(s string) string {
	if r := []rune(s); len(r) > maxShown {
		return string(r[:maxShown]) + "…"
	}
	return s
}
