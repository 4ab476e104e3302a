package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
)

// CookieName is the session cookie GET /?token=… sets.
const CookieName = "iwf_console"

// sessionValue is the cookie's value: derived from the token, so the cookie
// never carries the token itself and a new token ends every session.
func sessionValue(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("iwf console session"))
	return hex.EncodeToString(m.Sum(nil))
}

func equalSecret(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// authenticated lets a request through with the bearer token or the session
// cookie; GET /?token=… trades a valid token for the cookie and redirects
// to / so the token leaves the address bar and the history.
func (s *Server) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" && r.URL.Query().Has("token") {
			s.login(w, r)
			return
		}
		viaCookie, ok := s.credentials(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="iwf console"`)
			writeErrorText(w, http.StatusUnauthorized, "console: authentication required: open the console URL with ?token=, or send Authorization: Bearer <console.token>")
			return
		}
		// A browser sends the cookie on any request to us; an action it
		// makes must come from our own page (SameSite=Strict is the first
		// guard, this the second).
		if viaCookie && r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r) {
			writeErrorText(w, http.StatusForbidden, "console: cross-origin request refused")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// credentials reports whether r carries the token (bearer) or the session
// cookie, and which.
func (s *Server) credentials(r *http.Request) (viaCookie, ok bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, found := strings.Cut(h, " ")
		return false, found && strings.EqualFold(scheme, "Bearer") && equalSecret(strings.TrimSpace(tok), s.token)
	}
	if c, err := r.Cookie(CookieName); err == nil {
		return true, equalSecret(c.Value, s.session)
	}
	return false, false
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || !equalSecret(r.URL.Query().Get("token"), s.token) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="iwf console"`)
		writeErrorText(w, http.StatusUnauthorized, "console: wrong token")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: s.session, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.cfg.tls(),
	})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// sameOrigin reports whether r's Origin, when it has one, is the host it
// was sent to. Requests without Origin are not from a page's script.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}
