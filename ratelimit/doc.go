// Package ratelimit limits how often one key (a route, a user, a client IP)
// may do something, with a token bucket per key: a bucket holds up to
// tokens tokens, one operation takes one, and one comes back every
// interval/tokens.
//
// Three Limiters share that arithmetic and its numbers (Result):
//
//   - Memory (NewMemory) keeps the buckets in the process. Fast, but every
//     instance of a service counts on its own.
//   - Redis (NewRedis) keeps them in Redis, shared by every instance; one
//     Lua script takes a token atomically and the keys expire once their
//     bucket is full again.
//   - Database (NewDatabase) keeps them in the SQL database the service
//     already has (table rate_limits), for several instances without Redis;
//     a conditional UPDATE takes a token atomically.
//
// A bucket's whole state is one time: when it is full again. A token is
// available while that time is less than tokens*per ahead of now, and
// taking one moves it per further (this is the generic cell rate algorithm
// view of a token bucket). No background refill exists.
//
// The shared limiters fail closed: when their store does not answer, Allow
// returns an error wrapping ErrUnavailable (autherr.Unavailable, a 503), so
// that a store outage never switches off brute-force protection.
//
// hanko.New builds the limiters from rate_limiter.* (store in_memory, redis
// or database) and the HTTP layer (httpapi.Limits) calls Allow with keys
// like "/passcode/login/initialize/<user id>/<client ip>":
//
//	l := ratelimit.NewDatabase(db, 3, time.Minute, ratelimit.Options{Prefix: "passcode:"})
//	res, err := l.Allow(ctx, key)
//	if err != nil { /* 503 */ } else if !res.Allowed { /* 429, Retry-After: res.RetryAfter */ }
package ratelimit
