package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/vigie-dev/vigie/platform/api"
)

// exchange is one request and its answer: handlers read the request and write through
// it, and the wrapper logs and measures it. It is passed explicitly, not in a context.
type exchange struct {
	w      http.ResponseWriter
	r      *http.Request
	id     string // request id, echoed in X-Request-ID and recorded in audit records
	route  string
	user   string // set once authenticated, for the log line
	status int
	extra  []any // more log attributes
}

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "req_" + hex.EncodeToString(b)
}

// wrap gives a route its request id, recovery, log line and metrics.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		x := &exchange{w: w, r: r, route: rt.path, id: r.Header.Get("X-Request-ID")}
		if !requestIDRE.MatchString(x.id) {
			x.id = newRequestID()
		}
		w.Header().Set("X-Request-ID", x.id)
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("panic", "request_id", x.id, "route", rt.path, "panic", fmt.Sprint(p))
				if x.status == 0 {
					x.fail(http.StatusInternalServerError, apiError(api.CodeInternal, "internal error (request %s)", x.id))
				}
			}
			d := time.Since(start)
			method := rt.method
			if method == "" {
				method = "any" // unmatched requests: no label value chosen by the caller
			}
			s.metrics.requests.Inc(rt.path, method, strconv.Itoa(x.status))
			s.metrics.latency.Observe(d.Seconds(), rt.path, method)
			if rt.path == "/metrics" || rt.path == "/healthz" || rt.path == "/readyz" {
				return // scraped and probed every few seconds: not worth a line each
			}
			attrs := append([]any{"request_id", x.id, "method", r.Method, "route", rt.path, "status", x.status,
				"duration_ms", float64(d.Microseconds()) / 1000, "remote", r.RemoteAddr}, x.extra...)
			if x.user != "" {
				attrs = append(attrs, "user", x.user)
			}
			level := slog.LevelInfo
			if x.status >= 500 {
				level = slog.LevelError
			}
			s.log.Log(r.Context(), level, "request", attrs...)
		}()
		rt.h(x)
		if x.status == 0 {
			x.status = http.StatusOK
		}
	})
}

func apiError(code, format string, args ...any) api.ErrorBody {
	return api.ErrorBody{Code: code, Message: fmt.Sprintf(format, args...)}
}

// reply writes v as JSON with status.
func (x *exchange) reply(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"cannot encode the answer"}}`)
	}
	x.raw(status, b)
}

func (x *exchange) raw(status int, body []byte) {
	x.status = status
	h := x.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	x.w.WriteHeader(status)
	_, _ = x.w.Write(append(body, '\n'))
}

// fail answers with an error body.
func (x *exchange) fail(status int, e api.ErrorBody) {
	if status == http.StatusUnauthorized {
		x.w.Header().Set("WWW-Authenticate", `Bearer realm="vigie"`)
	}
	x.extra = append(x.extra, "error_code", e.Code)
	x.reply(status, api.ErrorResponse{Error: e})
}
