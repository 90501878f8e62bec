package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/store"
)

// Config configures a Manager. Keys, Store and Audience are required; every
// other zero field takes the default in brackets.
type Config struct {
	Keys  Keys
	Store FullStore

	Lifespan time.Duration // session.lifespan [12h]
	Audience []string      // session.audience (the relying party ID by default)
	Issuer   string        // session.issuer; no iss claim when empty

	// ServerSide is session.server_side.enabled: /sessions/validate then
	// also requires the stored session row. Revocations are enforced either
	// way (see Verify).
	ServerSide bool
	// Limit is session.server_side.limit, the most sessions a user keeps;
	// the oldest beyond it are revoked [100].
	Limit int

	// Cookie and AuthTokenHeader say how tokens travel (session.cookie.*,
	// session.enable_auth_token_header).
	Cookie          Cookie
	AuthTokenHeader bool

	// CacheSize bounds the verified-token cache [10000 tokens].
	CacheSize int
	// RevocationPoll is how often the revocation feed is read, which bounds
	// how long another instance's revocation takes to apply here [1s].
	RevocationPoll time.Duration

	// Events receives user_logged_out from Logout, in its transaction.
	// [nil: nothing is emitted]
	Events events.Emitter

	Now    func() time.Time // [time.Now]
	Rand   io.Reader        // session IDs [crypto/rand.Reader]
	Logger *slog.Logger     // [discard]
}

// Manager issues, verifies and revokes sessions. It is safe for concurrent
// use. Close stops its background revocation poller.
type Manager struct {
	cfg   Config
	cache *tokenCache

	mu      sync.RWMutex
	revoked map[uuid.UUID]time.Time // session ID -> session expiry

	stop chan struct{}
	done chan struct{}
}

// New returns a Manager and starts its revocation poller. It fails on a
// missing Keys, Store or Audience.
func New(cfg Config) (*Manager, error) {
	if cfg.Keys == nil || cfg.Store == nil {
		return nil, errors.New("session: Config.Keys and Config.Store are required")
	}
	if len(cfg.Audience) == 0 {
		return nil, errors.New("session: Config.Audience is required")
	}
	cfg.Audience = slices.Clone(cfg.Audience)
	if cfg.Lifespan <= 0 {
		cfg.Lifespan = 12 * time.Hour
	}
	if cfg.Limit <= 0 {
		cfg.Limit = 100
	}
	if cfg.Cookie.Name == "" {
		cfg.Cookie.Name = "hanko"
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 10000
	}
	if cfg.RevocationPoll <= 0 {
		cfg.RevocationPoll = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Manager{
		cfg:     cfg,
		cache:   newTokenCache(cfg.CacheSize),
		revoked: map[uuid.UUID]time.Time{},
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	// Load the revocations of every session that may still be alive, then
	// follow the feed.
	since := m.now().Add(-cfg.Lifespan)
	if err := m.pollRevocations(context.Background(), since); err != nil {
		return nil, err
	}
	go m.followRevocations()
	return m, nil
}

// Close stops the revocation poller and waits for it.
func (m *Manager) Close() {
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	<-m.done
}

func (m *Manager) now() time.Time { return m.cfg.Now().UTC().Truncate(time.Microsecond) }

// Lifespan is the lifetime of issued sessions.
func (m *Manager) Lifespan() time.Duration { return m.cfg.Lifespan }

// Token is an issued session.
type Token struct {
	Value     string // the JWT
	Claims    Claims
	ExpiresAt time.Time
}

// Meta describes the client a session is issued to.
type Meta struct {
	UserAgent string
	IP        string
}

// Issue creates a server-side session for a user and returns its JWT. The
// session row and the eviction of the user's oldest sessions beyond the
// limit commit together. An unknown user is autherr.NotFound.
func (m *Manager) Issue(ctx context.Context, userID uuid.UUID, meta Meta) (Token, error) {
	now := m.now()
	sid, err := uuid.NewRandomFromReader(m.cfg.Rand)
	if err != nil {
		return Token{}, fmt.Errorf("session: make id: %w", err)
	}
	exp := now.Add(m.cfg.Lifespan).Truncate(time.Second)
	c := Claims{Subject: userID, SessionID: sid, IssuedAt: now.Truncate(time.Second), ExpiresAt: exp, Audience: m.cfg.Audience, Issuer: m.cfg.Issuer}
	var evicted []store.SessionRevocation
	err = m.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		e, err := m.cfg.Store.GetPrimaryEmailOf(ctx, userID)
		switch {
		case err == nil:
			c.Email = &EmailClaim{Address: e.Address, IsPrimary: true, IsVerified: e.Verified}
		case !errors.Is(err, autherr.NotFound):
			return err
		}
		if err := m.cfg.Store.CreateSession(ctx, store.Session{
			ID: sid, UserID: userID, UserAgent: truncate(meta.UserAgent, 512), IPAddress: truncate(meta.IP, 255),
			ExpiresAt: &exp, LastUsed: now, CreatedAt: now, UpdatedAt: now,
		}); err != nil {
			return err
		}
		excess, err := m.cfg.Store.ExcessSessions(ctx, userID, now, m.cfg.Limit)
		if err != nil || len(excess) == 0 {
			return err
		}
		evicted, err = m.revokeInTx(ctx, excess, now)
		return err
	})
	if err != nil {
		return Token{}, err
	}
	m.markRevoked(evicted)
	tok, err := sign(m.cfg.Keys.Signer(), m.cfg.Rand, c)
	if err != nil {
		return Token{}, err
	}
	return Token{Value: tok, Claims: c, ExpiresAt: exp}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// Verify checks a session token: a well-formed JWS signed by a key of the
// set with the algorithm the key is for (never "none"), not expired, for our
// audience and issuer, and not revoked. Any failure is ErrInvalidToken.
//
// A token that verified before is answered from a bounded in-memory cache
// keyed by its SHA-256, until its exp; revocation is checked on every call
// against an in-memory set that the revocation feed keeps current (within
// RevocationPoll across instances, at once on this one). Verify does no I/O
// except to load a key it does not know yet (rate-limited by the key set).
func (m *Manager) Verify(ctx context.Context, token string) (Claims, error) {
	now := m.cfg.Now()
	key := sha256.Sum256([]byte(token))
	c, ok := m.cache.get(key)
	if !ok {
		var err error
		if c, err = m.verify(ctx, token, now); err != nil {
			return Claims{}, err
		}
		m.cache.put(key, c)
	}
	if !now.Before(c.ExpiresAt) || m.isRevoked(c.SessionID) {
		return Claims{}, ErrInvalidToken
	}
	return c, nil
}

func (m *Manager) verify(ctx context.Context, token string, now time.Time) (Claims, error) {
	// An empty audience is refused by New, so the audience is always checked.
	return verifyToken(ctx, token, now, rules{audience: m.cfg.Audience, issuer: m.cfg.Issuer}, m.cfg.Keys.Lookup)
}

// Validate verifies a token like Verify and, with server-side sessions on,
// also requires its session row and records its use (the reference's
// /sessions/validate).
func (m *Manager) Validate(ctx context.Context, token string) (Claims, error) {
	c, err := m.Verify(ctx, token)
	if err != nil || !m.cfg.ServerSide {
		return c, err
	}
	err = m.cfg.Store.TouchSession(ctx, c.SessionID, m.now())
	if errors.Is(err, autherr.NotFound) {
		return Claims{}, ErrInvalidToken
	}
	return c, err
}

// Sessions returns a user's active sessions, newest first.
func (m *Manager) Sessions(ctx context.Context, userID uuid.UUID) ([]store.Session, error) {
	return m.cfg.Store.ListSessions(ctx, userID, m.now())
}

// Revoke ends one session of a user: its row is deleted and its token is
// refused from now on, here at once and on other instances within
// RevocationPoll. ErrSessionNotFound when the user has no such session.
func (m *Manager) Revoke(ctx context.Context, userID, sessionID uuid.UUID) error {
	var gone []store.SessionRevocation
	err := m.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		s, err := m.cfg.Store.GetSession(ctx, sessionID)
		if errors.Is(err, autherr.NotFound) || err == nil && s.UserID != userID {
			return ErrSessionNotFound
		}
		if err != nil {
			return err
		}
		gone, err = m.revokeInTx(ctx, []uuid.UUID{sessionID}, m.now())
		return err
	})
	if err != nil {
		return err
	}
	m.markRevoked(gone)
	return nil
}

// Logout ends the session a user logs out of, like Revoke, and emits
// user_logged_out in the same transaction. A session that is already gone
// (expired, revoked, or never stored) is no error: the logout still counts.
func (m *Manager) Logout(ctx context.Context, userID, sessionID uuid.UUID) error {
	var gone []store.SessionRevocation
	err := m.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		s, err := m.cfg.Store.GetSession(ctx, sessionID)
		switch {
		case err == nil && s.UserID == userID:
			if gone, err = m.revokeInTx(ctx, []uuid.UUID{sessionID}, m.now()); err != nil {
				return err
			}
		case err != nil && !errors.Is(err, autherr.NotFound):
			return err
		}
		return events.Emit(ctx, m.cfg.Events, events.Event{Audit: events.UserLoggedOut, UserID: userID})
	})
	if err != nil {
		return err
	}
	m.markRevoked(gone)
	return nil
}

// RevokeUser ends every session of a user. It joins the caller's
// transaction (for a user deletion that must revoke first).
func (m *Manager) RevokeUser(ctx context.Context, userID uuid.UUID) error {
	var gone []store.SessionRevocation
	err := m.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		all, err := m.cfg.Store.ListAllSessions(ctx, userID)
		if err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(all))
		for i, s := range all {
			ids[i] = s.ID
		}
		gone, err = m.revokeInTx(ctx, ids, m.now())
		return err
	})
	if err != nil {
		return err
	}
	// Marked before the caller's transaction commits: refusing a token a
	// moment early is the safe side.
	m.markRevoked(gone)
	return nil
}

// revokeInTx deletes sessions and records their revocation in the feed,
// returning the records for markRevoked.
func (m *Manager) revokeInTx(ctx context.Context, ids []uuid.UUID, now time.Time) ([]store.SessionRevocation, error) {
	gone, err := m.cfg.Store.DeleteSessions(ctx, ids)
	if err != nil || len(gone) == 0 {
		return nil, err
	}
	rs := make([]store.SessionRevocation, len(gone))
	for i, s := range gone {
		id, err := uuid.NewRandomFromReader(m.cfg.Rand)
		if err != nil {
			return nil, err
		}
		rs[i] = store.SessionRevocation{ID: id, SessionID: s.ID, ExpiresAt: s.ExpiresAt, CreatedAt: now}
	}
	return rs, m.cfg.Store.CreateSessionRevocations(ctx, rs)
}

// markRevoked refuses the given sessions from now on, until their expiry
// (or the longest a session can live, when a row has none).
func (m *Manager) markRevoked(rs []store.SessionRevocation) {
	if len(rs) == 0 {
		return
	}
	far := m.cfg.Now().Add(m.cfg.Lifespan)
	m.mu.Lock()
	for _, r := range rs {
		exp := far
		if r.ExpiresAt != nil {
			exp = *r.ExpiresAt
		}
		m.revoked[r.SessionID] = exp
	}
	m.mu.Unlock()
}

func (m *Manager) isRevoked(sid uuid.UUID) bool {
	m.mu.RLock()
	_, ok := m.revoked[sid]
	m.mu.RUnlock()
	return ok
}

// feedOverlap is how far back each poll re-reads the feed: revocations are
// stamped by the revoking instance's clock and commit a little after they
// are stamped, so a poll must look back past both.
const feedOverlap = time.Minute

// followRevocations polls the feed until Close.
func (m *Manager) followRevocations() {
	defer close(m.done)
	t := time.NewTicker(m.cfg.RevocationPoll)
	defer t.Stop()
	last := m.cfg.Now()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		start := m.cfg.Now()
		if err := m.pollRevocations(ctx, last.Add(-feedOverlap)); err != nil {
			m.cfg.Logger.Warn("session: reading the revocation feed failed", slog.Any("error", err))
		} else {
			last = start
		}
		cancel()
		m.forgetExpired()
	}
}

func (m *Manager) pollRevocations(ctx context.Context, since time.Time) error {
	rs, err := m.cfg.Store.SessionRevocationsSince(ctx, since, m.now())
	if err != nil {
		return fmt.Errorf("session: revocation feed: %w", err)
	}
	m.markRevoked(rs)
	return nil
}

// forgetExpired drops revocations of sessions that have expired anyway.
func (m *Manager) forgetExpired() {
	now := m.cfg.Now()
	m.mu.Lock()
	for id, exp := range m.revoked {
		if now.After(exp) {
			delete(m.revoked, id)
		}
	}
	m.mu.Unlock()
}
