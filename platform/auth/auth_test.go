package auth

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-dev/vigie/platform/store"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newService(t *testing.T) (*Service, store.Store, *clock) {
	t.Helper()
	s, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	c := &clock{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	return New(s, c.now), s, c
}

func TestCreateStoresOnlyTheHash(t *testing.T) {
	svc, s, _ := newService(t)
	ctx := context.Background()
	secret, tok, err := svc.Create(ctx, CreateOptions{User: "alice", TTL: time.Hour, Note: "laptop"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "vgt_") || len(secret) != 4+43 {
		t.Errorf("secret %q: want vgt_ and 43 base64url characters", secret)
	}
	if tok.Hash != Hash(secret) || len(tok.Hash) != 64 || !strings.HasPrefix(tok.ID, "tok_") {
		t.Errorf("token %+v", tok)
	}
	list, err := svc.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %v, %v", list, err)
	}
	if list[0].Hash == secret || strings.Contains(list[0].Hash+list[0].Note+list[0].ID, secret[4:]) {
		t.Error("the secret is stored")
	}
	other, _, _ := svc.Create(ctx, CreateOptions{User: "alice"})
	if other == secret {
		t.Error("two tokens are equal")
	}
	if never, err := s.TokenByHash(ctx, Hash(other)); err != nil || !never.ExpiresAt.IsZero() {
		t.Errorf("TTL 0 should never expire: %+v, %v", never, err)
	}
}

func TestCreateRejects(t *testing.T) {
	svc, _, _ := newService(t)
	for _, o := range []CreateOptions{{User: ""}, {User: "Alice"}, {User: "a b"}, {User: "alice", TTL: -time.Hour}, {User: strings.Repeat("a", 65)}} {
		if _, _, err := svc.Create(context.Background(), o); err == nil {
			t.Errorf("Create(%+v) accepted", o)
		}
	}
}

func TestAuthenticate(t *testing.T) {
	svc, _, c := newService(t)
	ctx := context.Background()
	secret, tok, _ := svc.Create(ctx, CreateOptions{User: "alice", TTL: time.Hour})
	ro, _, _ := svc.Create(ctx, CreateOptions{User: "bob", ReadOnly: true})
	revoked, rtok, _ := svc.Create(ctx, CreateOptions{User: "carol"})
	if err := svc.Revoke(ctx, rtok.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.Revoke(ctx, "tok_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoking an unknown id: %v", err)
	}
	p, err := svc.Authenticate(ctx, "Bearer "+secret)
	if err != nil || p.User != "alice" || p.TokenID != tok.ID || p.ReadOnly || !p.ExpiresAt.Equal(tok.ExpiresAt) {
		t.Fatalf("Authenticate = %+v, %v", p, err)
	}
	if p, err := svc.Authenticate(ctx, "bearer  "+ro); err != nil || !p.ReadOnly || p.User != "bob" {
		t.Errorf("read-only token: %+v, %v", p, err)
	}
	other := byte('A')
	if secret[4] == 'A' {
		other = 'B'
	}
	flipped := secret[:4] + string(other) + secret[5:] // well formed, unknown
	for header, want := range map[string]error{
		"":                               ErrNoToken,
		"Basic " + secret:                ErrBadToken,
		"Bearer":                         ErrBadToken,
		"Bearer " + secret[4:]:           ErrBadToken,
		"Bearer " + secret + "x":         ErrBadToken,
		"Bearer vgt_" + "!" + secret[5:]: ErrBadToken,
		"Bearer " + flipped:              ErrBadToken,
		"Bearer " + revoked:              ErrRevoked,
	} {
		if _, err := svc.Authenticate(ctx, header); !errors.Is(err, want) {
			t.Errorf("Authenticate(%.20q) = %v, want %v", header, err, want)
		}
	}
	c.t = c.t.Add(time.Hour)
	if _, err := svc.Authenticate(ctx, "Bearer "+secret); !errors.Is(err, ErrExpired) {
		t.Errorf("after expiry: %v", err)
	}
	if _, err := svc.Authenticate(ctx, "Bearer "+ro); err != nil {
		t.Errorf("a token without expiry expired: %v", err)
	}
}

func TestStatus(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		tok  store.Token
		want string
	}{
		{store.Token{}, "active"},
		{store.Token{ExpiresAt: now.Add(time.Second)}, "active"},
		{store.Token{ExpiresAt: now}, "expired"},
		{store.Token{ExpiresAt: now, RevokedAt: now.Add(-time.Hour)}, "revoked"},
	} {
		if got := Status(c.tok, now); got != c.want {
			t.Errorf("Status(%+v) = %s, want %s", c.tok, got, c.want)
		}
	}
}
