package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisPrefix is the Redis limiter's key prefix when Options.Prefix
// is empty.
const DefaultRedisPrefix = "hanko:ratelimit:"

// takeScript takes one token from the bucket KEYS[1] atomically. The key
// holds the bucket's full time in microseconds since the Unix epoch (a
// missing key is a full bucket) and expires when the bucket is full again.
// ARGV: per (µs to regain one token), capacity, now (µs, or -1 to read the
// server's clock). It returns {allowed (0|1), full - now (µs)}.
//
// Numbers are Lua doubles, exact for integers up to 2^53 µs (year 2255);
// the full time is written with %.0f because Redis turns a bare number into
// a string with 14 significant digits only.
var takeScript = redis.NewScript(`
local per = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now < 0 then
  -- Before Redis 5 a script must ask for effects replication to write
  -- after reading the clock; since 7.0 this is a no-op.
  if redis.replicate_commands then redis.replicate_commands() end
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local full = tonumber(redis.call('GET', KEYS[1]))
if full == nil or full < now then
  full = now
end
local d = full - now
if d > (cap - 1) * per then
  return {0, d}
end
d = d + per
redis.call('SET', KEYS[1], string.format('%.0f', now + d), 'PX', math.ceil(d / 1000))
return {1, d}
`)

// Redis is a Limiter whose buckets live in Redis, shared by every instance
// using that server. Each Allow is one script call (EVALSHA, falling back
// to EVAL when the server does not have the script cached), atomic on the
// server. By default it uses the Redis server's clock (see Options.Now). It
// is safe for concurrent use; the caller owns the client and closes it.
type Redis struct {
	client redis.UniversalClient
	tokens int
	per    time.Duration
	prefix string
	now    func() time.Time // nil: the server's clock
}

var _ Limiter = (*Redis)(nil)

// NewRedis returns a limiter allowing tokens operations per interval and
// key, counted in Redis through client. o.Prefix defaults to
// DefaultRedisPrefix; o.Now to the Redis server's clock. tokens and interval
// must be positive and o.Prefix at most 128 bytes; NewRedis panics
// otherwise. The refill step, interval/tokens, is rounded down to a
// microsecond.
func NewRedis(client redis.UniversalClient, tokens int, interval time.Duration, o Options) *Redis {
	per := sharedPer(tokens, interval, o)
	if o.Prefix == "" {
		o.Prefix = DefaultRedisPrefix
	}
	return &Redis{client: client, tokens: tokens, per: per, prefix: o.Prefix, now: o.Now}
}

// Allow takes one token from key's bucket if it has one. When Redis fails
// (down, timeout, script error) it returns an error wrapping ErrUnavailable.
func (l *Redis) Allow(ctx context.Context, key string) (Result, error) {
	now := int64(-1)
	if l.now != nil {
		now = l.now().UnixMicro()
	}
	v, err := takeScript.Run(ctx, l.client, []string{l.prefix + key}, l.per.Microseconds(), l.tokens, now).Int64Slice()
	if err == nil && len(v) != 2 {
		err = fmt.Errorf("unexpected script reply %v", v)
	}
	if err != nil {
		return Result{}, fmt.Errorf("%w: redis: %w", ErrUnavailable, err)
	}
	return bucketResult(v[0] == 1, time.Duration(v[1])*time.Microsecond, l.per, l.tokens), nil
}

// Redis client timeouts set by ParseRedisAddress: a login waits at most
// about this long for a Redis that does not answer before it fails closed.
const (
	redisDialTimeout = 2 * time.Second
	redisIOTimeout   = time.Second
)

// ParseRedisAddress turns rate_limiter.redis_config into client options.
// address is host[:port][/db] as in Hanko: the port defaults to 6379 and
// the database number to 0; an IPv6 host is written in brackets when a port
// follows ("[::1]:6379"). A redis:// or rediss:// (TLS) URL is accepted too.
// A non-empty password overrides one in the URL. Dial and I/O timeouts are
// short (2 s, 1 s) so that an unreachable Redis fails requests quickly.
//
// Errors never repeat the address's userinfo (user name and password),
// since they end up in logs: the URL is shown without it.
func ParseRedisAddress(address, password string) (*redis.Options, error) {
	var o *redis.Options
	if strings.Contains(address, "://") {
		var err error
		if o, err = redis.ParseURL(address); err != nil {
			return nil, redisURLError(address, err)
		}
	} else {
		if strings.Contains(address, "@") {
			// Not Hanko's host[:port][/db]; most likely credentials meant
			// for a redis:// URL, which must not be echoed.
			return nil, errors.New("invalid redis address: credentials go into a redis:// URL or the password setting")
		}
		hostport, db, hasDB := strings.Cut(address, "/")
		host, port, err := splitRedisHost(hostport)
		if err != nil {
			return nil, err
		}
		o = &redis.Options{Addr: net.JoinHostPort(host, port)}
		if hasDB {
			n, err := strconv.Atoi(db)
			if err != nil || n < 0 || strconv.Itoa(n) != db {
				return nil, fmt.Errorf("invalid redis database number %q: want a non-negative integer", db)
			}
			o.DB = n
		}
	}
	if password != "" {
		o.Password = password
	}
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout = redisDialTimeout, redisIOTimeout, redisIOTimeout
	return o, nil
}

// redisURLError describes a redis:// URL that redis.ParseURL refused
// without repeating its userinfo. A *url.Error (the URL did not parse)
// carries the whole URL, and its cause may quote a piece of a password that
// is not percent-encoded (`invalid port ":pa" after host` for
// "redis://:pa/ss@h"), so neither is shown; go-redis's own errors, made
// after the URL parsed, name only the scheme, path or query.
func redisURLError(address string, err error) error {
	shown := withoutUserinfo(address)
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("invalid redis URL %q: not a valid URL (percent-encode special characters in the user name and password)", shown)
	}
	return fmt.Errorf("invalid redis URL %q: %w", shown, err)
}

// withoutUserinfo removes everything between "://" and the last "@" of a
// URL that may not parse. Cutting at the last "@" errs on the side of
// removing too much: a password may contain "/", "?" or "#".
func withoutUserinfo(address string) string {
	scheme, rest, ok := strings.Cut(address, "://")
	if !ok {
		return address
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest = rest[i+1:]
	}
	return scheme + "://" + rest
}

// splitRedisHost splits host[:port], defaulting the port to 6379.
func splitRedisHost(hostport string) (host, port string, err error) {
	switch {
	case hostport == "":
		return "", "", errors.New("empty redis address: want host[:port][/db]")
	case strings.HasPrefix(hostport, "[") && strings.HasSuffix(hostport, "]"):
		host, port = hostport[1:len(hostport)-1], "6379" // [v6] without a port
	case strings.Count(hostport, ":") > 1 && !strings.HasPrefix(hostport, "["):
		host, port = hostport, "6379" // a bare IPv6 address
	case strings.Contains(hostport, ":"):
		if host, port, err = net.SplitHostPort(hostport); err != nil {
			return "", "", fmt.Errorf("invalid redis address %q: %w", hostport, err)
		}
	default:
		host, port = hostport, "6379"
	}
	if host == "" || strings.ContainsAny(host, "[]/ ") {
		return "", "", fmt.Errorf("invalid redis host %q", host)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
		return "", "", fmt.Errorf("invalid redis port %q: want 1-65535", port)
	}
	return host, port, nil
}
