package jwks

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/go-jose/go-jose/v4"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/store"
)

// init does New's store work under the reload semaphore. It checks the
// stored rows first, so that a row no secret decrypts stops startup before
// anything is written; then it creates the missing rows 1..n and reads the
// table again, which also picks up rows that other instances won.
func (s *Set) init(ctx context.Context, n int) error {
	s.reloading <- struct{}{}
	defer func() { <-s.reloading }()
	s.lastReload = s.now()
	rows, err := s.list(ctx)
	if err != nil {
		return err
	}
	existing, errs := s.build(rows, nil)
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	created := false
	for id := 1; id <= n; id++ {
		if _, ok := existing.rows[id]; ok {
			continue
		}
		if err := s.create(ctx, id); err != nil {
			return err
		}
		created = true
	}
	if created {
		if rows, err = s.list(ctx); err != nil {
			return err
		}
	}
	next, errs := s.build(rows, existing)
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return s.install(ctx, next)
}

// create generates the key of row id and stores it. Losing the race for the
// id to another instance is not an error: that instance's key is used.
func (s *Set) create(ctx context.Context, id int) error {
	k, data, err := generate(s.rand, s.alg, s.rsaBits)
	if err != nil {
		return err
	}
	keyData, err := s.seal.seal(s.rand, data)
	clear(data)
	if err != nil {
		return err
	}
	err = s.store.CreateJWK(ctx, store.JWK{ID: id, KeyData: keyData, CreatedAt: s.now()})
	switch {
	case err == nil:
		s.log.InfoContext(ctx, "jwks: generated a signing key", "row", id, "kid", k.ID, "alg", k.Algorithm)
		return nil
	case errors.Is(err, autherr.Conflict):
		s.log.InfoContext(ctx, "jwks: another instance created the key first", "row", id)
		return nil
	default:
		return fmt.Errorf("jwks: storing key row %d: %w", id, err)
	}
}

func (s *Set) list(ctx context.Context) ([]store.JWK, error) {
	rows, err := s.store.ListJWKs(ctx)
	if err != nil {
		return nil, fmt.Errorf("jwks: listing keys: %w", err)
	}
	return rows, nil
}

// reload re-reads the store and installs every usable row; unusable rows
// are logged and reported in the error. The caller holds s.reloading.
func (s *Set) reload(ctx context.Context) error {
	s.lastReload = s.now() // also on failure: a broken store must not be hammered
	rows, err := s.list(ctx)
	if err != nil {
		return err
	}
	next, errs := s.build(rows, s.cur.Load())
	for _, err := range errs {
		s.log.ErrorContext(ctx, "jwks: skipping an unusable key", "err", err)
	}
	if err := s.install(ctx, next); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// build turns rows into a snapshot of the usable ones, plus one error per
// unusable row. Rows unchanged since prev are not decrypted again.
func (s *Set) build(rows []store.JWK, prev *snapshot) (*snapshot, []error) {
	next := &snapshot{byKID: make(map[string]Key, len(rows)), rows: make(map[int]loadedRow, len(rows))}
	kidRow := make(map[string]int, len(rows))
	var (
		errs   []error
		newest store.JWK
	)
	for _, row := range rows {
		k, err := s.keyOf(prev, row)
		if err == nil {
			if other, dup := kidRow[k.ID]; dup {
				err = fmt.Errorf("%w: kid %s is also the kid of row %d", ErrInvalidKey, k.ID, other)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("jwks: key row %d: %w", row.ID, err))
			continue
		}
		kidRow[k.ID] = row.ID
		next.byKID[k.ID] = k
		next.rows[row.ID] = loadedRow{keyData: row.KeyData, key: k}
		next.order = append(next.order, row.ID)
		// The signer is the most recently created key, as in Hanko; the
		// higher id breaks ties.
		if len(next.order) == 1 || row.CreatedAt.After(newest.CreatedAt) ||
			(row.CreatedAt.Equal(newest.CreatedAt) && row.ID > newest.ID) {
			newest, next.signer = row, k
		}
	}
	slices.Sort(next.order) // the Store contract says ordered by id; do not rely on it
	return next, errs
}

// keyOf decrypts and parses a row, reusing prev's result when the row is
// unchanged.
func (s *Set) keyOf(prev *snapshot, row store.JWK) (Key, error) {
	if prev != nil {
		if lr, ok := prev.rows[row.ID]; ok && lr.keyData == row.KeyData {
			return lr.key, nil
		}
	}
	data, err := s.seal.open(row.KeyData)
	if err != nil {
		return Key{}, err
	}
	defer clear(data)
	return parsePrivateJWK(s.rand, data)
}

// install renders next's JWK set and makes next current. A snapshot without
// keys is ErrNoKeys and leaves the current one in place.
func (s *Set) install(ctx context.Context, next *snapshot) error {
	if len(next.order) == 0 {
		return ErrNoKeys
	}
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(next.order))}
	for _, id := range next.order {
		set.Keys = append(set.Keys, publicJWK(next.rows[id].key))
	}
	var err error
	if next.json, err = json.Marshal(set); err != nil {
		return fmt.Errorf("jwks: encoding the key set: %w", err)
	}
	sum := sha256.Sum256(next.json)
	next.etag = `"` + base64.RawURLEncoding.EncodeToString(sum[:]) + `"`
	prev := s.cur.Swap(next)
	if prev != nil && (prev.signer.ID != next.signer.ID || len(prev.order) != len(next.order)) {
		s.log.InfoContext(ctx, "jwks: key set changed", "keys", len(next.order), "signer", next.signer.ID)
	}
	return nil
}
