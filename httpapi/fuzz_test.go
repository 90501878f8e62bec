package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzDecodeJSON sends arbitrary bodies to the two public endpoints that
// decode JSON from anonymous clients, POST /users (sign-up) and POST /user
// (lookup), through the whole handler. Whatever the body, the answer is never
// a 5xx, always JSON, and an error answer is Hanko's {"code","message"} with
// code equal to the status. One database serves every input of a worker.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"email":"ada@example.com"}`, `{"email":" Ada@Example.COM "}`, ``, ` `, `{}`, `null`, `[1]`, `"x"`, `42`,
		`{"email":42}`, `{"email":null}`, `{"email":["a@b.co"]}`, `{"email":"a@b.co"} {}`, `{"email":"a@b.co"}x`,
		`{"email":`, `{"email":"\u0000@b.co"}`, `{"email":"\ud800@b.co"}`, `{"EMAIL":"a@b.co"}`,
		`{"email":"a@b.co","email":"c@d.co"}`, `{"email":"a@b.co","extra":{"deep":[1,2,{"x":null}]}}`,
		`{"email":"` + strings.Repeat("a", 300) + `@b.co"}`, `{"email":1e999}`, "\xef\xbb\xbf{}", "{\"email\":\"a@b.co\"}\n",
	} {
		f.Add([]byte(s))
	}
	api := newTestAPI(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, path := range []string{"/users", "/user"} {
			req := httptest.NewRequest("POST", path, strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			api.public.ServeHTTP(rec, req)

			if rec.Code >= 500 {
				t.Fatalf("POST %s %q: status %d: %s", path, body, rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("POST %s %q: Content-Type %q", path, body, ct)
			}
			if rec.Code < 400 {
				if rec.Code != http.StatusOK || !json.Valid(rec.Body.Bytes()) {
					t.Fatalf("POST %s %q: status %d with body %q", path, body, rec.Code, rec.Body)
				}
				continue
			}
			var e errBody
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
				t.Fatalf("POST %s %q: error body is not JSON (%v): %q", path, body, err, rec.Body)
			}
			if e.Code != rec.Code || e.Message == "" {
				t.Fatalf("POST %s %q: status %d with body %+v", path, body, rec.Code, e)
			}
		}
	})
}
