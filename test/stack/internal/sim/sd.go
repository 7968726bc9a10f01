package sim

import (
	"encoding/json"
	"sort"
)

// Target is one simulated pod as a Prometheus scrape target.
type Target struct {
	Addr                          string
	Namespace, Pod, Team, Service string
}

// sdGroup is one entry of a Prometheus file_sd file.
type sdGroup struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

// FileSD renders targets as a Prometheus file_sd JSON document, sorted by namespace and pod
// so that an unchanged set renders the same bytes. Every target carries the labels
// namespace, pod, team, service and container="app".
func FileSD(targets []Target) ([]byte, error) {
	ts := append([]Target(nil), targets...)
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].Namespace != ts[j].Namespace {
			return ts[i].Namespace < ts[j].Namespace
		}
		return ts[i].Pod < ts[j].Pod
	})
	groups := make([]sdGroup, 0, len(ts))
	for _, t := range ts {
		groups = append(groups, sdGroup{
			Targets: []string{t.Addr},
			Labels: map[string]string{
				"namespace": t.Namespace,
				"pod":       t.Pod,
				"team":      t.Team,
				"service":   t.Service,
				"container": ContainerName,
			},
		})
	}
	data, err := json.MarshalIndent(groups, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
