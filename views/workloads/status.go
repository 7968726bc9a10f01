package workloads

import (
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/vigie-dev/vigie/internal/termtext"
	"github.com/vigie-dev/vigie/views/table"
)

// PodInfo is what the pods table shows about one pod.
type PodInfo struct {
	// Ready and Total count ready containers and containers: regular containers plus
	// restartable init containers (sidecars), as kubectl's READY column does.
	Ready, Total int
	// Status is the kubectl-get-pods style reason (sanitised): CrashLoopBackOff,
	// Init:0/1, Pending: Unschedulable, Terminating, ...
	Status string
	// Tone is what Status means: OK running and ready; Warning pending, not ready,
	// terminating, in progress; Danger crash loops, pull errors, OOM, errors, failed,
	// evicted; Muted completed.
	Tone table.Tone
	// Restarts is the sum of restart counts, counted as kubectl does: regular containers
	// and sidecars, or the init containers while the pod is still initialising.
	Restarts int32
	// LastRestart is the latest lastState.terminated.finishedAt among the counted
	// containers; zero if none.
	LastRestart time.Time
	// LastTermination is "<reason> (exit <code>)" of the most recent
	// lastState.terminated among all containers, e.g. "OOMKilled (exit 137)"; "" if none.
	// A container that runs again after an OOM kill shows Status "Running": this field
	// keeps the OOM kill visible.
	LastTermination string
	// Node is spec.nodeName (sanitised), "" if unscheduled.
	Node    string
	Created time.Time
	// Deployment is the owning Deployment's name, derived from the owner ReplicaSet's
	// name minus "-<pod-template-hash>"; "" otherwise (sanitised).
	Deployment string
	// Owner is the controlling owner as "Kind/name" ("ReplicaSet/web-7d9f"), or ""
	// (sanitised).
	Owner string
}

// isDangerReason reports whether a (possibly "Init:"-prefixed) pod reason means broken.
func isDangerReason(reason string) bool {
	r := strings.TrimPrefix(reason, "Init:")
	switch r {
	case "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "ErrImageNeverPull",
		"InvalidImageName", "OOMKilled", "Error", "Failed", "CreateContainerConfigError",
		"CreateContainerError", "RunContainerError", "ContainerCannotRun", "StartError",
		"Evicted", "DeadlineExceeded":
		return true
	}
	// "Signal:9", "ExitCode:137": a container ended without a reason but with a failure.
	return strings.HasPrefix(r, "Signal:") || (strings.HasPrefix(r, "ExitCode:") && r != "ExitCode:0")
}

// PodStatus computes what the pods table shows about p, following kubectl's printPod.
func PodStatus(p *corev1.Pod) PodInfo {
	info := PodInfo{
		Node:    termtext.Line(p.Spec.NodeName),
		Created: p.CreationTimestamp.Time,
	}
	info.Owner, info.Deployment = podOwner(p)

	reason, ready, total, restarts, lastRestart := kubectlPodReason(p)
	info.Ready, info.Total = ready, total
	info.Restarts = restarts
	info.LastRestart = lastRestart
	info.LastTermination = lastTermination(p)

	if reason == string(corev1.PodPending) && p.DeletionTimestamp == nil {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason != "" {
				reason = "Pending: " + c.Reason
			}
		}
	}
	info.Status = termtext.Line(reason)
	info.Tone = podTone(reason, ready, total)
	return info
}

// podTone maps a computed pod reason to its meaning.
func podTone(reason string, ready, total int) table.Tone {
	switch {
	case isDangerReason(reason):
		return table.ToneDanger
	case reason == "Completed" || reason == string(corev1.PodSucceeded):
		return table.ToneMuted
	case reason == string(corev1.PodRunning) && total > 0 && ready == total:
		return table.ToneOK
	}
	return table.ToneWarning
}

// isRestartableInit reports whether c is a sidecar (init container with restartPolicy Always).
func isRestartableInit(c *corev1.Container) bool {
	return c != nil && c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// laterFinish returns the later of cur and the finish time of s's last termination.
func laterFinish(cur time.Time, s corev1.ContainerStatus) time.Time {
	if t := s.LastTerminationState.Terminated; t != nil && t.FinishedAt.After(cur) {
		return t.FinishedAt.Time
	}
	return cur
}

// kubectlPodReason is kubectl's printPod: the STATUS reason, READY counts and RESTARTS.
func kubectlPodReason(p *corev1.Pod) (reason string, ready, total int, restarts int32, lastRestart time.Time) {
	reason = string(p.Status.Phase)
	if p.Status.Reason != "" {
		reason = p.Status.Reason
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonSchedulingGated {
			reason = corev1.PodReasonSchedulingGated
		}
	}
	total = len(p.Spec.Containers)
	inits := make(map[string]*corev1.Container, len(p.Spec.InitContainers))
	for i := range p.Spec.InitContainers {
		inits[p.Spec.InitContainers[i].Name] = &p.Spec.InitContainers[i]
		if isRestartableInit(&p.Spec.InitContainers[i]) {
			total++
		}
	}

	var sidecarRestarts int32
	var sidecarLast time.Time
	initializing := false
	for i, s := range p.Status.InitContainerStatuses {
		restarts += s.RestartCount
		lastRestart = laterFinish(lastRestart, s)
		sidecar := isRestartableInit(inits[s.Name])
		if sidecar {
			sidecarRestarts += s.RestartCount
			sidecarLast = laterFinish(sidecarLast, s)
		}
		switch {
		case s.State.Terminated != nil && s.State.Terminated.ExitCode == 0:
			continue
		case sidecar && s.Started != nil && *s.Started:
			if s.Ready {
				ready++
			}
			continue
		case s.State.Terminated != nil:
			t := s.State.Terminated
			switch {
			case t.Reason != "":
				reason = "Init:" + t.Reason
			case t.Signal != 0:
				reason = fmt.Sprintf("Init:Signal:%d", t.Signal)
			default:
				reason = fmt.Sprintf("Init:ExitCode:%d", t.ExitCode)
			}
		case s.State.Waiting != nil && s.State.Waiting.Reason != "" && s.State.Waiting.Reason != "PodInitializing":
			reason = "Init:" + s.State.Waiting.Reason
		default:
			reason = fmt.Sprintf("Init:%d/%d", i, len(p.Spec.InitContainers))
		}
		initializing = true
		break
	}

	if !initializing || podConditionTrue(p, corev1.PodInitialized) {
		restarts, lastRestart = sidecarRestarts, sidecarLast
		hasRunning := false
		errorReason := ""
		for i := len(p.Status.ContainerStatuses) - 1; i >= 0; i-- {
			s := p.Status.ContainerStatuses[i]
			restarts += s.RestartCount
			lastRestart = laterFinish(lastRestart, s)
			switch {
			case s.State.Waiting != nil && s.State.Waiting.Reason != "":
				reason = s.State.Waiting.Reason
			case s.State.Terminated != nil:
				t := s.State.Terminated
				switch {
				case t.Reason != "":
					reason = t.Reason
				case t.Signal != 0:
					reason = fmt.Sprintf("Signal:%d", t.Signal)
				default:
					reason = fmt.Sprintf("ExitCode:%d", t.ExitCode)
				}
				if t.ExitCode != 0 {
					errorReason = reason
				}
			case s.Ready && s.State.Running != nil:
				hasRunning = true
				ready++
			}
		}
		if reason == "Completed" {
			switch {
			case hasRunning && podConditionTrue(p, corev1.PodReady):
				reason = string(corev1.PodRunning)
			case errorReason != "":
				reason = errorReason
			case hasRunning:
				reason = "NotReady"
			}
		}
	}

	terminal := p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
	if p.DeletionTimestamp != nil && p.Status.Reason == "NodeLost" {
		reason = "Unknown"
	} else if p.DeletionTimestamp != nil && !terminal {
		reason = "Terminating"
	}
	return reason, ready, total, restarts, lastRestart
}

// podConditionTrue reports whether p has condition t with status True.
func podConditionTrue(p *corev1.Pod, t corev1.PodConditionType) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// terminationSummary is "<reason> (exit <code>)" of a termination, sanitised.
func terminationSummary(t *corev1.ContainerStateTerminated) string {
	reason := t.Reason
	switch {
	case reason != "":
	case t.Signal != 0:
		reason = fmt.Sprintf("Signal:%d", t.Signal)
	default:
		reason = "Terminated"
	}
	return fmt.Sprintf("%s (exit %d)", termtext.Line(reason), t.ExitCode)
}

// terminationTone is Danger for a failed termination (OOMKilled, Error, non-zero exit).
func terminationTone(t *corev1.ContainerStateTerminated) table.Tone {
	if t.Reason == "OOMKilled" || t.Reason == "Error" || t.ExitCode != 0 {
		return table.ToneDanger
	}
	return table.ToneMuted
}

// containerState describes a container's current state and its tone.
func containerState(st corev1.ContainerState, now time.Time) (string, table.Tone) {
	switch {
	case st.Running != nil:
		text := "Running"
		if since := timeWithAge(st.Running.StartedAt.Time, now); since != "" {
			text += " since " + since
		}
		return text, table.ToneOK
	case st.Waiting != nil:
		reason := st.Waiting.Reason
		if reason == "" {
			reason = "unknown reason"
		}
		text := "Waiting: " + termtext.Line(reason)
		if st.Waiting.Message != "" {
			text += ": " + termtext.Line(st.Waiting.Message)
		}
		if isDangerReason(reason) {
			return text, table.ToneDanger
		}
		return text, table.ToneWarning
	case st.Terminated != nil:
		text := "Terminated: " + terminationSummary(st.Terminated)
		if st.Terminated.Message != "" {
			text += ": " + termtext.Line(st.Terminated.Message)
		}
		return text, terminationTone(st.Terminated)
	}
	return "", table.ToneNone
}

// lastTermination summarises the most recent lastState.terminated among all containers.
func lastTermination(p *corev1.Pod) string {
	var best *corev1.ContainerStateTerminated
	for _, list := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for i := range list {
			t := list[i].LastTerminationState.Terminated
			if t != nil && (best == nil || t.FinishedAt.After(best.FinishedAt.Time)) {
				best = t
			}
		}
	}
	if best == nil {
		return ""
	}
	return terminationSummary(best)
}

// controllerRef returns the controlling owner reference, or the first one, or nil.
func controllerRef(refs []metav1.OwnerReference) *metav1.OwnerReference {
	for i := range refs {
		if refs[i].Controller != nil && *refs[i].Controller {
			return &refs[i]
		}
	}
	if len(refs) > 0 {
		return &refs[0]
	}
	return nil
}

// podOwner returns "Kind/name" of p's owner and the Deployment behind an owner
// ReplicaSet (both sanitised).
func podOwner(p *corev1.Pod) (owner, deployment string) {
	ref := controllerRef(p.OwnerReferences)
	if ref == nil {
		return "", ""
	}
	owner = termtext.Line(ref.Kind + "/" + ref.Name)
	if ref.Kind == "ReplicaSet" {
		hash := p.Labels[appsv1.DefaultDeploymentUniqueLabelKey]
		if hash != "" && strings.HasSuffix(ref.Name, "-"+hash) && len(ref.Name) > len(hash)+1 {
			deployment = termtext.Line(strings.TrimSuffix(ref.Name, "-"+hash))
		}
	}
	return owner, deployment
}

// DeploymentInfo is what the deployments table shows about one deployment.
type DeploymentInfo struct {
	Ready, Desired, UpToDate, Available int32
	// Revision is the deployment.kubernetes.io/revision annotation, "" if absent.
	Revision string
	// Images are the pod template's container images, sanitised.
	Images []string
	// Rollout is "Complete", "Progressing", "Stalled: <reason>", "Paused",
	// "Scaled to zero" or "Failed: <reason>" (sanitised).
	Rollout string
	// Tone: OK complete and all available; Warning progressing, paused, partially
	// available; Danger stalled, failed, or nothing available while replicas are wanted;
	// Muted scaled to zero.
	Tone    table.Tone
	Created time.Time
}

// revisionAnnotation is the annotation the deployment controller keeps the revision in.
const revisionAnnotation = "deployment.kubernetes.io/revision"

// deploymentCondition returns d's condition of type t, or nil.
func deploymentCondition(d *appsv1.Deployment, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range d.Status.Conditions {
		if d.Status.Conditions[i].Type == t {
			return &d.Status.Conditions[i]
		}
	}
	return nil
}

// desiredReplicas is spec.replicas, which the API defaults to 1.
func desiredReplicas(d *appsv1.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}

// DeploymentStatus computes what the deployments table shows about d. The rollout state
// follows `kubectl rollout status`: a rollout is complete when the controller has seen the
// latest spec, every replica is updated and available and no old replica remains.
func DeploymentStatus(d *appsv1.Deployment) DeploymentInfo {
	info := DeploymentInfo{
		Ready:     d.Status.ReadyReplicas,
		Desired:   desiredReplicas(d),
		UpToDate:  d.Status.UpdatedReplicas,
		Available: d.Status.AvailableReplicas,
		Revision:  termtext.Line(d.Annotations[revisionAnnotation]),
		Created:   d.CreationTimestamp.Time,
	}
	for _, c := range d.Spec.Template.Spec.Containers {
		info.Images = append(info.Images, termtext.Line(c.Image))
	}

	failed := deploymentCondition(d, appsv1.DeploymentReplicaFailure)
	progressing := deploymentCondition(d, appsv1.DeploymentProgressing)
	noneAvailable := info.Desired > 0 && info.Available == 0
	switch {
	case failed != nil && failed.Status == corev1.ConditionTrue:
		info.Rollout, info.Tone = "Failed: "+termtext.Line(conditionReason(failed.Reason)), table.ToneDanger
	case progressing != nil && progressing.Status == corev1.ConditionFalse:
		info.Rollout, info.Tone = "Stalled: "+termtext.Line(conditionReason(progressing.Reason)), table.ToneDanger
	case d.Spec.Paused:
		info.Rollout, info.Tone = "Paused", table.ToneWarning
	case info.Desired == 0:
		info.Rollout, info.Tone = "Scaled to zero", table.ToneMuted
	case rolloutComplete(d, info.Desired):
		info.Rollout, info.Tone = "Complete", table.ToneOK
	default:
		info.Rollout, info.Tone = "Progressing", table.ToneWarning
	}
	if info.Tone == table.ToneOK && info.Available < info.Desired {
		info.Tone = table.ToneWarning
	}
	if noneAvailable && info.Tone != table.ToneMuted {
		info.Tone = table.ToneDanger
	}
	return info
}

// conditionReason is reason, or "unknown reason" when the controller gave none.
func conditionReason(reason string) string {
	if reason == "" {
		return "unknown reason"
	}
	return reason
}

// rolloutComplete is kubectl rollout status's test for a finished rollout.
func rolloutComplete(d *appsv1.Deployment, desired int32) bool {
	s := d.Status
	switch {
	case d.Generation > s.ObservedGeneration:
		return false
	case s.UpdatedReplicas < desired:
		return false
	case s.Replicas > s.UpdatedReplicas:
		return false
	case s.AvailableReplicas < s.UpdatedReplicas:
		return false
	}
	return true
}

// PodMatches reports whether pod p belongs to deployment d: same namespace and d's
// spec.selector matches p's labels. A nil, empty or invalid selector matches nothing.
func PodMatches(d *appsv1.Deployment, p *corev1.Pod) bool {
	if d == nil || p == nil || d.Namespace != p.Namespace || d.Spec.Selector == nil {
		return false
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || sel.Empty() {
		return false
	}
	return sel.Matches(labels.Set(p.Labels))
}

// Age formats the time from t to now like kubectl's AGE column
// (duration.HumanDuration): "45s", "5m30s", "3h12m", "5d", "2y". A zero t is "-".
func Age(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return duration.HumanDuration(now.Sub(t))
}
