package console

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var protectedPaths = []struct{ method, path string }{
	{"GET", "/"},
	{"GET", "/assets/app.js"},
	{"GET", "/metrics"},
	{"GET", "/api/stats"},
	{"GET", "/api/throughput"},
	{"GET", "/api/entries?state=dead"},
	{"GET", "/api/dead"},
	{"POST", "/api/dead/1/retry"},
	{"POST", "/api/dead/1/discard"},
	{"GET", "/api/search?q=x"},
	{"POST", "/api/replay"},
	{"GET", "/ws"},
	{"GET", "/no/such/page"},
}

func TestEverythingButHealthNeedsTheToken(t *testing.T) {
	h := start(t, Config{Token: testToken})
	for _, cred := range []struct {
		name   string
		header http.Header
	}{
		{"none", http.Header{}},
		{"wrong bearer", http.Header{"Authorization": {"Bearer not-the-token"}}},
		{"token as basic", http.Header{"Authorization": {"Basic " + testToken}}},
		{"prefix of the token", http.Header{"Authorization": {"Bearer " + testToken[:len(testToken)-1]}}},
		{"token as cookie", http.Header{"Cookie": {CookieName + "=" + testToken}}},
	} {
		for _, p := range protectedPaths {
			code, body := h.do(p.method, p.path, "", cred.header)
			if code != http.StatusUnauthorized {
				t.Errorf("%s %s with %s = %d, want 401", p.method, p.path, cred.name, code)
				continue
			}
			errorOf(t, body)
		}
	}
	if got := h.src.subscribers(); got != 1 {
		t.Errorf("subscriptions = %d, want the hub's one", got)
	}
	retried, discarded := h.src.actions()
	if len(retried)+len(discarded) != 0 {
		t.Errorf("actions ran without credentials: %v %v", retried, discarded)
	}
}

func TestWebsocketUpgradeNeedsTokenAndSameOrigin(t *testing.T) {
	h := start(t, Config{Token: testToken})
	if _, resp, err := h.dial(http.Header{}); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("upgrade without credentials: %v %v, want 401", err, resp)
	}
	foreign := http.Header{"Authorization": {"Bearer " + testToken}, "Origin": {"http://evil.example"}}
	if _, resp, err := h.dial(foreign); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("upgrade from another origin: %v %v, want 403", err, resp)
	}
	own := http.Header{"Authorization": {"Bearer " + testToken}, "Origin": {h.base}}
	c, _, err := h.dial(own)
	if err != nil {
		t.Fatalf("upgrade from the console's origin: %v", err)
	}
	c.Close()
}

func TestTokenInURLSetsSessionCookie(t *testing.T) {
	h := start(t, Config{Token: testToken})
	if code, _ := h.do("GET", "/?token=wrong", "", http.Header{}); code != http.StatusUnauthorized {
		t.Errorf("/?token=wrong = %d, want 401", code)
	}
	resp := loginResponse(t, h.base+"/?token="+testToken, http.DefaultTransport)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("login = %d to %q, want 303 to /", resp.StatusCode, resp.Header.Get("Location"))
	}
	c := sessionCookie(t, resp)
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || c.Path != "/" {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, not Secure over http, Path=/", c)
	}
	if strings.Contains(c.Value, testToken) {
		t.Error("the cookie carries the token itself")
	}
	withCookie := http.Header{"Cookie": {c.Name + "=" + c.Value}}
	if code, _ := h.do("GET", "/api/stats", "", withCookie); code != 200 {
		t.Errorf("/api/stats with the cookie = %d", code)
	}
	if code, _ := h.do("GET", "/", "", withCookie); code != 200 {
		t.Errorf("/ with the cookie = %d", code)
	}
	ws, _, err := h.dial(http.Header{"Cookie": {c.Name + "=" + c.Value}, "Origin": {h.base}})
	if err != nil {
		t.Fatalf("websocket with the cookie: %v", err)
	}
	ws.Close()
	// A page elsewhere cannot act with the operator's cookie.
	seq := h.src.put(deadLetter("m1"))
	crossSite := http.Header{"Cookie": {c.Name + "=" + c.Value}, "Origin": {"http://evil.example"}}
	if code, _ := h.do("POST", "/api/dead/"+itoa(seq)+"/retry", "", crossSite); code != http.StatusForbidden {
		t.Errorf("cross-origin POST with the cookie = %d, want 403", code)
	}
	sameSite := http.Header{"Cookie": {c.Name + "=" + c.Value}, "Origin": {h.base}}
	if code, body := h.do("POST", "/api/dead/"+itoa(seq)+"/retry", "", sameSite); code != http.StatusNoContent {
		t.Errorf("same-origin POST with the cookie = %d %s", code, body)
	}
	// A cookie of another token does not open this console.
	other := http.Header{"Cookie": {CookieName + "=" + sessionValue("another-token")}}
	if code, _ := h.do("GET", "/api/stats", "", other); code != http.StatusUnauthorized {
		t.Errorf("another console's cookie = %d, want 401", code)
	}
}

func TestConfiguredTokenIsNeverLogged(t *testing.T) {
	h := start(t, Config{Token: testToken})
	h.do("GET", "/?token="+testToken, "", http.Header{})
	h.do("GET", "/?token=wrong", "", http.Header{})
	h.do("GET", "/api/stats", "", http.Header{"Authorization": {"Bearer nope"}})
	h.do("GET", "/api/stats", "", nil)
	if err := h.srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h.logs.String(), testToken) {
		t.Errorf("the log shows the token:\n%s", h.logs)
	}
}

func TestGeneratedTokenIsLoggedOnceWithTheURL(t *testing.T) {
	h := start(t, Config{})
	tok := h.srv.token
	if len(tok) != 32 {
		t.Fatalf("generated token %d chars, want 32 hex", len(tok))
	}
	logs := h.logs.String()
	if n := strings.Count(logs, tok); n != 1 {
		t.Fatalf("token appears %d times in the log, want once:\n%s", n, logs)
	}
	if !strings.Contains(logs, h.base+"/?token="+tok) {
		t.Errorf("log lacks the console URL with the token:\n%s", logs)
	}
	if code, _ := h.do("GET", "/api/stats", "", http.Header{"Authorization": {"Bearer " + tok}}); code != 200 {
		t.Errorf("generated token refused: %d", code)
	}
	other := start(t, Config{})
	if other.srv.token == tok {
		t.Error("two consoles generated the same token")
	}
}

func TestTLSServesHTTPSWithSecureCookie(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	h := start(t, Config{Token: testToken, TLSCert: certFile, TLSKey: keyFile})
	if !strings.HasPrefix(h.base, "https://") {
		t.Fatalf("URL %s, want https", h.base)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.CloseIdleConnections()
	resp := loginResponse(t, h.base+"/?token="+testToken, tr)
	if c := sessionCookie(t, resp); !c.Secure {
		t.Errorf("cookie over TLS is not Secure: %+v", c)
	}
	// Plain HTTP on the TLS port is refused.
	resp2, err := http.Get("http://" + h.srv.Addr() + "/healthz")
	if err == nil {
		defer resp2.Body.Close()
		if resp2.StatusCode == 200 {
			t.Error("plain HTTP answered on the TLS port")
		}
	}
}

func TestStartFailsOnMissingCertificate(t *testing.T) {
	s := New(Config{Listen: "127.0.0.1:0", TLSCert: "/nonexistent/c.pem", TLSKey: "/nonexistent/k.pem"},
		newFakeSource(), slog.New(slog.DiscardHandler))
	if err := s.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "console: tls") {
		t.Errorf("Start = %v, want a console: tls error", err)
	}
	_ = s.Close()
}

func loginResponse(t *testing.T, url string, tr http.RoundTripper) *http.Response {
	t.Helper()
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func sessionCookie(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == CookieName {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", CookieName, resp.Header)
	return nil
}

// selfSigned writes a certificate for 127.0.0.1 and its key to dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "iwf console test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
