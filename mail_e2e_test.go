package hanko_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/hanko-go/hanko"
)

// smtpSink is a real SMTP server in the test process that keeps every mail.
type smtpSink struct {
	mu    sync.Mutex
	mails [][]byte
	addr  string
}

func (s *smtpSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: s}, nil }

type sinkSession struct{ sink *smtpSink }

func (*sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (*sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (*sinkSession) Reset()                               {}
func (*sinkSession) Logout() error                        { return nil }
func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.sink.mu.Lock()
	s.sink.mails = append(s.sink.mails, b)
	s.sink.mu.Unlock()
	return nil
}

func startSMTP(t *testing.T) *smtpSink {
	t.Helper()
	sink := &smtpSink{}
	srv := smtp.NewServer(sink)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return sink
}

// lastText returns the decoded text/plain part of the newest mail and its
// headers.
func (s *smtpSink) lastText(t *testing.T) (mail.Header, string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.mails) == 0 {
		t.Fatal("no mail arrived")
	}
	msg, err := mail.ReadMessage(bytes.NewReader(s.mails[len(s.mails)-1]))
	if err != nil {
		t.Fatal(err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("content type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("no text/plain part: %v", err)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			var r io.Reader = p
			if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
				r = quotedprintable.NewReader(p)
			}
			body, _ := io.ReadAll(r)
			return msg.Header, string(body)
		}
	}
}

func post(t testing.TB, h http.Handler, path, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := jsonReq(httptest.NewRequest("POST", path, strings.NewReader(body)))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func hankoWithSMTP(t *testing.T, addr string) *hanko.Hanko {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	cfg := hanko.DefaultConfig()
	cfg.EmailDelivery.SMTP.Host, cfg.EmailDelivery.SMTP.Port = host, port
	cfg.Service.Name = "Example App"
	return newHanko(t, hanko.WithConfig(cfg), hanko.WithDatabase("sqlite", filepath.Join(t.TempDir(), "mail.db")))
}

// TestSignUpAndLoginThroughRealSMTP signs up, reads the passcode from the
// mail a real SMTP server received, and logs in with it.
func TestSignUpAndLoginThroughRealSMTP(t *testing.T) {
	t.Parallel()
	sink := startSMTP(t)
	h := hankoWithSMTP(t, sink.addr)

	var signup map[string]string
	if rec := post(t, h, "/users", `{"email":"ada@example.com"}`); rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &signup) != nil {
		t.Fatalf("sign-up: %d %s", rec.Code, rec.Body)
	}
	rec := post(t, h, "/passcode/login/initialize", `{"user_id":"`+signup["user_id"]+`","email_id":"`+signup["email_id"]+`"}`, "Accept-Language", "de")
	var init map[string]any
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &init) != nil {
		t.Fatalf("initialize: %d %s", rec.Code, rec.Body)
	}
	hdr, text := sink.lastText(t)
	code := regexp.MustCompile(`\b\d{6}\b`).FindString(text)
	if code == "" || !strings.Contains(hdr.Get("To"), "ada@example.com") || !strings.Contains(text, "Example App") && !strings.Contains(hdr.Get("Subject"), "Example App") {
		t.Fatalf("mail: to %q subject %q text %q", hdr.Get("To"), hdr.Get("Subject"), text)
	}
	rec = post(t, h, "/passcode/login/finalize", `{"id":"`+init["id"].(string)+`","code":"`+code+`"}`)
	if rec.Code != 200 {
		t.Fatalf("finalize: %d %s", rec.Code, rec.Body)
	}
	var token string
	for _, c := range rec.Result().Cookies() {
		if c.Name == "hanko" {
			token = c.Value
		}
	}
	if c, err := h.Sessions().Verify(t.Context(), token); err != nil || c.Subject.String() != signup["user_id"] || c.Email == nil || !c.Email.IsVerified {
		t.Fatalf("session after verification: %+v %v", c, err)
	}
}

// TestUnreachableSMTP answers 503, keeps no passcode and shows no code.
func TestUnreachableSMTP(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	h := hankoWithSMTP(t, addr)
	u := createUser(t, h, "ada@example.com")
	rec := post(t, h, "/passcode/login/initialize", `{"user_id":"`+u+`"}`)
	if rec.Code != http.StatusServiceUnavailable || regexp.MustCompile(`\d{6}`).MatchString(rec.Body.String()) {
		t.Fatalf("unreachable SMTP: %d %s", rec.Code, rec.Body)
	}
	var n int
	if err := h.Store().Bun().NewRaw("SELECT count(*) FROM passcodes").Scan(t.Context(), &n); err != nil || n != 0 {
		t.Fatalf("%d passcode rows left after the failed send (%v)", n, err)
	}
}

func createUser(t testing.TB, h *hanko.Hanko, address string) string {
	t.Helper()
	rec := post(t, h.Admin(), "/users", `{"emails":[{"address":"`+address+`","is_primary":true,"is_verified":true}]}`)
	var u map[string]any
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &u) != nil {
		t.Fatalf("create user: %d %s", rec.Code, rec.Body)
	}
	return u["id"].(string)
}
