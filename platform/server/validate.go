package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/store"
)

var (
	idemKeyRE = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
	rvRE      = regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`)
)

// validate checks the request's fields for its kind. Bounds that come from the policy
// (max replicas, reason length in production) were checked by Decide.
func validate(req api.ActionRequest) *api.ErrorBody {
	fail := func(field, format string, args ...any) *api.ErrorBody {
		e := fieldError(field, format, args...)
		return &e
	}
	if errs := validation.IsDNS1123Label(req.Target.Namespace); len(errs) > 0 {
		return fail("target.namespace", "%q is not a namespace name: %s", clip(req.Target.Namespace, 64), errs[0])
	}
	object := "Deployment"
	switch req.Kind {
	case api.ActionDeletePod:
		object = "pod"
	case api.ActionJob:
		object = "job template"
	}
	if api.SilenceKind(req.Kind) {
		if e := validateSilence(req); e != nil {
			return e
		}
	} else if errs := validation.IsDNS1123Subdomain(req.Target.Name); len(errs) > 0 {
		return fail("target.name", "%q is not a %s name: %s", clip(req.Target.Name, 64), object, errs[0])
	} else if e := noSilenceParams(req); e != nil {
		return e
	}
	switch req.Kind {
	case api.ActionScale:
		if req.Params.Replicas == nil {
			return fail("params.replicas", "scale needs the number of replicas")
		}
		if *req.Params.Replicas < 0 {
			return fail("params.replicas", "%d is negative", *req.Params.Replicas)
		}
	default:
		if req.Params.Replicas != nil {
			return fail("params.replicas", "%s takes no replicas", req.Kind)
		}
	}
	if req.Kind == api.ActionRollback {
		if req.Params.ToRevision < 0 {
			return fail("params.toRevision", "%d is negative (0 means the previous revision)", req.Params.ToRevision)
		}
	} else if req.Params.ToRevision != 0 {
		return fail("params.toRevision", "%s takes no revision", req.Kind)
	}
	if req.Expect != nil && req.Expect.Revision != 0 {
		if req.Kind != api.ActionRollback {
			return fail("expect.revision", "only a rollback takes a revision precondition")
		}
		if req.Expect.Revision < 0 {
			return fail("expect.revision", "%d is negative", req.Expect.Revision)
		}
	}
	if n := len([]rune(req.Reason)); n > 1024 {
		return fail("reason", "%d characters, at most 1024", n)
	}
	if !printable(req.Reason) {
		return fail("reason", "control characters are not allowed")
	}
	if req.IdempotencyKey != "" && !idemKeyRE.MatchString(req.IdempotencyKey) {
		return fail("idempotencyKey", "want 1 to 128 letters, digits, '.', '_', ':' or '-'")
	}
	if req.Expect != nil && req.Expect.ResourceVersion != "" && !rvRE.MatchString(req.Expect.ResourceVersion) {
		return fail("expect.resourceVersion", "want the resourceVersion as Kubernetes shows it")
	}
	return nil
}

// requestHash identifies what a request asks for, without its idempotency key.
func requestHash(req api.ActionRequest) string {
	req.IdempotencyKey = ""
	b, _ := json.Marshal(req)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// claimKey makes this request the owner of its idempotency key. When another request
// owns it, it answers for it: the first outcome (a replay, not run again), a conflict
// when the key was used for a different request, or after waiting for a still-running
// first request. It returns true when this request should go on.
func (s *Server) claimKey(x *exchange, rec api.AuditRecord, user string, req api.ActionRequest) bool {
	ctx := x.r.Context()
	h := requestHash(req)
	deadline := time.Now().Add(s.o.IdempotencyWait)
	for {
		idem, claimed, err := s.store.ClaimIdempotency(ctx, store.Idem{User: user, Key: req.IdempotencyKey, RequestHash: h, CreatedAt: s.o.Now(), ActionID: rec.ActionID})
		switch {
		case err != nil:
			s.log.Error("idempotency claim", "request_id", x.id, "err", err)
			x.fail(http.StatusServiceUnavailable, apiError(api.CodeUnavailable, "cannot record the idempotency key, so nothing was done; retry later"))
			return false
		case claimed:
			return true
		case idem.RequestHash != h:
			s.refuse(x, rec, apiError(api.CodeIdempotency, "idempotency key %q was already used for a different request: use a new key", req.IdempotencyKey))
			return false
		case idem.State == store.IdemDone:
			x.w.Header().Set("Idempotent-Replayed", "true")
			x.extra = append(x.extra, "replayed", true)
			s.metrics.actions.Inc(kindLabel(req.Kind), "replayed")
			x.raw(idem.StatusCode, bytesTrimNL(idem.Response))
			return false
		case s.o.Now().Sub(idem.CreatedAt) > s.o.ActionTimeout+s.o.IdempotencyWait:
			s.refuse(x, rec, apiError(api.CodeIdempotency, "the request with idempotency key %q was interrupted (started %s) and its outcome is unknown: check the audit log, then retry with a new key",
				req.IdempotencyKey, idem.CreatedAt.Format(time.RFC3339)))
			return false
		case time.Now().After(deadline):
			s.refuse(x, rec, apiError(api.CodeIdempotency, "the request with idempotency key %q is still running: retry later for its outcome", req.IdempotencyKey))
			return false
		}
		select {
		case <-ctx.Done():
			x.status = 499 // the client went away while waiting; nothing to answer
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func bytesTrimNL(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	}
	return b
}

// releaseKey frees the key of a request that stopped before acting, so a retry runs.
func (s *Server) releaseKey(ctx context.Context, user string, req api.ActionRequest) {
	if req.IdempotencyKey == "" {
		return
	}
	if err := s.store.ReleaseIdempotency(context.WithoutCancel(ctx), user, req.IdempotencyKey); err != nil {
		s.log.Error("idempotency release", "err", err)
	}
}
