package actionstest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/prometheus/alertmanager/api/v2/models"
	"github.com/prometheus/alertmanager/pkg/labels"
)

// Alertmanager is a fake of Alertmanager's api/v2, for the silences: it records every
// silence posted and every expiry, answers GET /alerts from Alerts (filtered as
// Alertmanager filters), and answers 503 to everything while Down.
type Alertmanager struct {
	*httptest.Server

	mu       sync.Mutex
	silences map[string]*models.GettableSilence
	posted   []models.PostableSilence
	expired  []string
	alerts   []map[string]string
	down     bool
	now      func() time.Time
}

// NewAlertmanager starts a fake Alertmanager with alerts (their label sets); close it
// with Close. now is its clock (nil: time.Now).
func NewAlertmanager(now func() time.Time, alerts ...map[string]string) *Alertmanager {
	if now == nil {
		now = time.Now
	}
	am := &Alertmanager{silences: map[string]*models.GettableSilence{}, alerts: alerts, now: now}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/silences", am.post)
	mux.HandleFunc("GET /api/v2/silence/{id}", am.get)
	mux.HandleFunc("DELETE /api/v2/silence/{id}", am.delete)
	mux.HandleFunc("GET /api/v2/alerts", am.listAlerts)
	am.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		am.mu.Lock()
		down := am.down
		am.mu.Unlock()
		if down {
			http.Error(w, "down for the test", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	return am
}

// SetDown makes every request fail (503) until SetDown(false).
func (am *Alertmanager) SetDown(down bool) {
	am.mu.Lock()
	defer am.mu.Unlock()
	am.down = down
}

// Posted returns the silences posted so far, in order.
func (am *Alertmanager) Posted() []models.PostableSilence {
	am.mu.Lock()
	defer am.mu.Unlock()
	return append([]models.PostableSilence(nil), am.posted...)
}

// Expired returns the ids of the silences expired so far, in order.
func (am *Alertmanager) Expired() []string {
	am.mu.Lock()
	defer am.mu.Unlock()
	return append([]string(nil), am.expired...)
}

// AddSilence stores a silence as if someone had created it in Alertmanager directly,
// active, and returns its id.
func (am *Alertmanager) AddSilence(createdBy string, matchers ...*models.Matcher) string {
	am.mu.Lock()
	defer am.mu.Unlock()
	id := uuid()
	start, end := strfmt.DateTime(am.now()), strfmt.DateTime(am.now().Add(time.Hour))
	comment, active := "made in Alertmanager", "active"
	am.silences[id] = &models.GettableSilence{ID: &id, Status: &models.SilenceStatus{State: &active},
		Silence: models.Silence{Matchers: matchers, StartsAt: &start, EndsAt: &end, CreatedBy: &createdBy, Comment: &comment}}
	return id
}

// Matcher is an equality matcher for AddSilence.
func Matcher(name, value string) *models.Matcher {
	yes, no := true, false
	return &models.Matcher{Name: &name, Value: &value, IsEqual: &yes, IsRegex: &no}
}

func uuid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (am *Alertmanager) post(w http.ResponseWriter, r *http.Request) {
	var ps models.PostableSilence
	if err := json.NewDecoder(r.Body).Decode(&ps); err != nil {
		reply(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := ps.Validate(strfmt.Default); err != nil {
		reply(w, http.StatusBadRequest, err.Error())
		return
	}
	if !time.Time(*ps.EndsAt).After(time.Time(*ps.StartsAt)) {
		reply(w, http.StatusBadRequest, "failed to create silence: end time must not be before start time")
		return
	}
	am.mu.Lock()
	defer am.mu.Unlock()
	am.posted = append(am.posted, ps)
	id := uuid()
	active := "active"
	am.silences[id] = &models.GettableSilence{ID: &id, Status: &models.SilenceStatus{State: &active}, Silence: ps.Silence}
	reply(w, http.StatusOK, map[string]string{"silenceID": id})
}

func (am *Alertmanager) get(w http.ResponseWriter, r *http.Request) {
	am.mu.Lock()
	defer am.mu.Unlock()
	s, ok := am.silences[r.PathValue("id")]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	reply(w, http.StatusOK, s)
}

func (am *Alertmanager) delete(w http.ResponseWriter, r *http.Request) {
	am.mu.Lock()
	defer am.mu.Unlock()
	id := r.PathValue("id")
	s, ok := am.silences[id]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	expired, end := "expired", strfmt.DateTime(am.now())
	s.Status.State, s.EndsAt = &expired, &end
	am.expired = append(am.expired, id)
	w.WriteHeader(http.StatusOK)
}

func (am *Alertmanager) listAlerts(w http.ResponseWriter, r *http.Request) {
	var ms []*labels.Matcher
	for _, f := range r.URL.Query()["filter"] {
		m, err := labels.ParseMatcher(f)
		if err != nil {
			reply(w, http.StatusBadRequest, err.Error())
			return
		}
		ms = append(ms, m)
	}
	am.mu.Lock()
	defer am.mu.Unlock()
	out := models.GettableAlerts{}
	for i, l := range am.alerts {
		ok := true
		for _, m := range ms {
			ok = ok && m.Matches(l[m.Name])
		}
		if !ok {
			continue
		}
		fp, state := fmt.Sprintf("%016x", i), "active"
		start, end, upd := strfmt.DateTime(am.now()), strfmt.DateTime(am.now().Add(time.Hour)), strfmt.DateTime(am.now())
		out = append(out, &models.GettableAlert{Alert: models.Alert{Labels: models.LabelSet(l)}, Fingerprint: &fp,
			Annotations: models.LabelSet{}, Receivers: []*models.ReceiverReference{}, StartsAt: &start, EndsAt: &end, UpdatedAt: &upd,
			Status: &models.AlertStatus{State: &state, SilencedBy: []string{}, InhibitedBy: []string{}, MutedBy: []string{}}})
	}
	reply(w, http.StatusOK, out)
}

// String describes the fake for failure messages.
func (am *Alertmanager) String() string {
	am.mu.Lock()
	defer am.mu.Unlock()
	return fmt.Sprintf("fake alertmanager: %d silences, %d posted, %d expired", len(am.silences), len(am.posted), len(am.expired))
}
