package session

import (
	"sync"
)

// tokenCache holds verified tokens' claims keyed by the token's SHA-256. It
// is split into shards to keep lock contention low; each shard is bounded
// and, when full, drops an arbitrary entry (Go map iteration order), which
// is cheap and good enough: a dropped token costs one signature check.
type tokenCache struct {
	shards [16]cacheShard
	per    int
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[[32]byte]Claims
}

func newTokenCache(size int) *tokenCache {
	c := &tokenCache{per: max(size/16, 1)}
	for i := range c.shards {
		c.shards[i].m = make(map[[32]byte]Claims)
	}
	return c
}

func (c *tokenCache) shard(k [32]byte) *cacheShard { return &c.shards[k[0]&15] }

func (c *tokenCache) get(k [32]byte) (Claims, bool) {
	s := c.shard(k)
	s.mu.RLock()
	v, ok := s.m[k]
	s.mu.RUnlock()
	return v, ok
}

func (c *tokenCache) put(k [32]byte, v Claims) {
	s := c.shard(k)
	s.mu.Lock()
	if len(s.m) >= c.per {
		for old := range s.m {
			delete(s.m, old)
			break
		}
	}
	s.m[k] = v
	s.mu.Unlock()
}
