package httpapi_test

import (
	"net/http"
	"testing"
)

// sessionBenchWriter is a ResponseWriter that keeps only the status, so
// that the benchmarks measure the handler, not a recorder.
type sessionBenchWriter struct {
	h      http.Header
	status int
}

func (w *sessionBenchWriter) Header() http.Header         { return w.h }
func (w *sessionBenchWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *sessionBenchWriter) WriteHeader(status int)      { w.status = status }

// benchGet serves one prepared GET through h per iteration and checks the
// status; the response headers are reset each time, as a server would.
func benchGet(b *testing.B, h http.Handler, path string, want int, header ...string) {
	req, err := http.NewRequestWithContext(b.Context(), "GET", path, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.RemoteAddr = "192.0.2.1:1234"
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := &sessionBenchWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		w.status = http.StatusOK
		h.ServeHTTP(w, req)
		if w.status != want {
			b.Fatalf("GET %s: %d, want %d", path, w.status, want)
		}
	}
}

// BenchmarkPublicSession measures session-related requests through the
// whole public handler (request ID, access log to a discarding logger,
// CORS, routing, JSON): GET /me with a valid Bearer token (verified once
// before, so answered from the verified-token cache) and GET
// /.well-known/jwks.json, plain and conditional (304).
func BenchmarkPublicSession(b *testing.B) {
	api := newTestAPI(b)
	_, tok := login(b, api, "ada@example.com")
	etag := do(b, api.public, "GET", "/.well-known/jwks.json", "").Header().Get("ETag")
	b.Run("GET /me", func(b *testing.B) {
		benchGet(b, api.public, "/me", http.StatusOK, "Authorization", "Bearer "+tok)
	})
	b.Run("GET /me without a token", func(b *testing.B) {
		benchGet(b, api.public, "/me", http.StatusUnauthorized)
	})
	b.Run("GET /.well-known/jwks.json", func(b *testing.B) {
		benchGet(b, api.public, "/.well-known/jwks.json", http.StatusOK)
	})
	b.Run("GET /.well-known/jwks.json If-None-Match", func(b *testing.B) {
		benchGet(b, api.public, "/.well-known/jwks.json", http.StatusNotModified, "If-None-Match", etag)
	})
}
