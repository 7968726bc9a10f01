// Package auth issues and checks the platform's API tokens. A token is 32 random bytes
// shown once as "vgt_" + base64url; the store keeps only its SHA-256, so a leaked
// database reveals no usable token. Tokens belong to a user, may expire, may be revoked,
// and may be read-only (review sessions): such a token can call no write.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-dev/vigie/platform/api"
	"github.com/vigie-dev/vigie/platform/store"
)

// Prefix starts every token, so scanners and humans recognise one.
const Prefix = "vgt_"

// secretLen is the length of a token after the prefix: 32 bytes in unpadded base64url.
var secretLen = base64.RawURLEncoding.EncodedLen(32)

// Authentication failures. The server answers 401 for each; the message tells which.
var (
	ErrNoToken  = errors.New("no token: send Authorization: Bearer vgt_...")
	ErrBadToken = errors.New("the token is not valid")
	ErrExpired  = errors.New("the token has expired")
	ErrRevoked  = errors.New("the token was revoked")
)

// Principal is who a request comes from.
type Principal struct {
	User      string
	TokenID   string
	ReadOnly  bool
	ExpiresAt time.Time // zero: never
}

// Service creates, lists, revokes and checks tokens.
type Service struct {
	store store.Store
	now   func() time.Time
}

// New returns a Service over s; now is the clock (nil: time.Now).
func New(s store.Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: s, now: now}
}

// Hash is the hex SHA-256 of a token, as stored.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// ValidUser reports whether name is an acceptable user name (api.ValidUserName).
func ValidUser(name string) bool { return api.ValidUserName(name) }

// CreateOptions describe a new token.
type CreateOptions struct {
	User     string
	TTL      time.Duration // 0: never expires
	ReadOnly bool
	Note     string
}

// Create makes a token and returns its secret, which is shown once and never stored.
func (s *Service) Create(ctx context.Context, o CreateOptions) (string, store.Token, error) {
	if !ValidUser(o.User) {
		return "", store.Token{}, fmt.Errorf("user %q: want lower-case letters, digits, '.', '_', '@' or '-' (at most 64)", o.User)
	}
	if o.TTL < 0 {
		return "", store.Token{}, fmt.Errorf("expiry %v is negative", o.TTL)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", store.Token{}, err
	}
	id := make([]byte, 6)
	if _, err := rand.Read(id); err != nil {
		return "", store.Token{}, err
	}
	secret := Prefix + base64.RawURLEncoding.EncodeToString(raw)
	now := s.now().UTC().Truncate(time.Microsecond)
	t := store.Token{ID: "tok_" + hex.EncodeToString(id), Hash: Hash(secret), User: o.User, ReadOnly: o.ReadOnly,
		Note: o.Note, CreatedAt: now}
	if o.TTL > 0 {
		t.ExpiresAt = now.Add(o.TTL)
	}
	if err := s.store.CreateToken(ctx, t); err != nil {
		return "", store.Token{}, err
	}
	return secret, t, nil
}

// List returns every token, without secrets (the store has none).
func (s *Service) List(ctx context.Context) ([]store.Token, error) { return s.store.ListTokens(ctx) }

// Revoke revokes the token with this id; store.ErrNotFound when there is none.
func (s *Service) Revoke(ctx context.Context, id string) error {
	return s.store.RevokeToken(ctx, id, s.now().UTC())
}

// Status is "active", "expired" or "revoked" at now.
func Status(t store.Token, now time.Time) string {
	switch {
	case !t.RevokedAt.IsZero():
		return "revoked"
	case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
		return "expired"
	}
	return "active"
}

// BearerToken extracts the token of an Authorization header ("" when absent).
func BearerToken(header string) string {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

func wellFormed(secret string) bool {
	if len(secret) != len(Prefix)+secretLen || !strings.HasPrefix(secret, Prefix) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(secret[len(Prefix):])
	return err == nil
}

// Authenticate checks the Authorization header. The token is looked up by its hash and
// the stored hash compared in constant time; the secret itself is never compared,
// logged or stored.
func (s *Service) Authenticate(ctx context.Context, authorization string) (Principal, error) {
	if strings.TrimSpace(authorization) == "" {
		return Principal{}, ErrNoToken
	}
	secret := BearerToken(authorization)
	if !wellFormed(secret) {
		return Principal{}, ErrBadToken
	}
	h := Hash(secret)
	t, err := s.store.TokenByHash(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrBadToken
	}
	if err != nil {
		return Principal{}, err
	}
	if subtle.ConstantTimeCompare([]byte(t.Hash), []byte(h)) != 1 {
		return Principal{}, ErrBadToken
	}
	switch Status(t, s.now()) {
	case "revoked":
		return Principal{}, ErrRevoked
	case "expired":
		return Principal{}, ErrExpired
	}
	return Principal{User: t.User, TokenID: t.ID, ReadOnly: t.ReadOnly, ExpiresAt: t.ExpiresAt}, nil
}
