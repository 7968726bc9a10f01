package alerts

import (
	"errors"
	"net/url"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/vigie-dev/vigie/sources/alertmanager"
	"github.com/vigie-dev/vigie/views"
)

// Windows of the jumps around an alert.
const (
	metricsMargin = 30 * time.Minute // before startsAt and after endsAt
	logsLead      = 5 * time.Minute  // logs from a little before the alert started
)

// workloadsRoute is the pods of the alert's service: a label selector on app (the alert's
// app label, else its service label) when the value is a valid label value, else a fuzzy
// filter on the name; the whole pods screen when the alert names no service.
func workloadsRoute(a alertmanager.Alert) views.Route {
	r := views.Route{Screen: views.ScreenPods}
	name := a.Labels["app"]
	if name == "" {
		name = a.Labels["service"]
	}
	switch {
	case name == "":
		if name = service(a); name != "" { // job: a name to look for, not a pod label
			r.Filter = name
		}
	case len(validation.IsValidLabelValue(name)) == 0:
		r.Filter = "-l app=" + name
	default:
		r.Filter = name
	}
	return r
}

// metricsRoute is the metrics of the alert's service around the firing: from 30 minutes
// before startsAt to 30 minutes after endsAt (or now, whichever is sooner), charting the
// expression that fired when the generator URL carries it.
func metricsRoute(a alertmanager.Alert, now time.Time) views.Route {
	r := views.Route{Screen: views.ScreenMetrics, Name: service(a), Query: expression(a), To: now}
	if !a.StartsAt.IsZero() {
		r.From = a.StartsAt.Add(-metricsMargin)
	}
	if !a.EndsAt.IsZero() {
		if end := a.EndsAt.Add(metricsMargin); end.Before(now) {
			r.To = end
		}
	}
	return r
}

// logsRoute is the logs of the alert's deployment (service label, else app) in its
// namespace, from 5 minutes before the alert started.
func logsRoute(a alertmanager.Alert) (views.Route, error) {
	name := a.Labels["service"]
	if name == "" {
		name = a.Labels["app"]
	}
	ns := a.Labels["namespace"]
	switch {
	case name == "":
		return views.Route{}, errors.New("logs: this alert has no service or app label to find its pods by")
	case ns == "":
		return views.Route{}, errors.New("logs: this alert has no namespace label to find its pods in")
	}
	r := views.Route{Screen: views.ScreenLogs, Kind: "Deployment", Namespace: ns, Name: name}
	if !a.StartsAt.IsZero() {
		r.From = a.StartsAt.Add(-logsLead)
	}
	return r, nil
}

// expression is the PromQL expression of a Prometheus generator URL (its g0.expr
// parameter, decoded), or "".
func expression(a alertmanager.Alert) string {
	u, err := url.Parse(a.GeneratorURL)
	if err != nil {
		return ""
	}
	return u.Query().Get("g0.expr")
}
