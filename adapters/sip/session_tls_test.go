package sip

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCert is a self-signed certificate for 127.0.0.1 written as PEM
// files; the certificate file doubles as the CA bundle that trusts it.
type testCert struct {
	certFile, keyFile string
	der               []byte
}

// writeCert writes a self-signed certificate for 127.0.0.1, valid from
// notBefore to notAfter, and its key under dir with the name prefix.
func writeCert(t testing.TB, dir, prefix string, notBefore, notAfter time.Time) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "iwf msrps test"},
		NotBefore: notBefore, NotAfter: notAfter,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"msrp.iwf.test"},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IsCA:        true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	c := testCert{certFile: filepath.Join(dir, prefix+"cert.pem"), keyFile: filepath.Join(dir, prefix+"key.pem"), der: der}
	writeFile(t, c.certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writeFile(t, c.keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	return c
}

func writeFile(t testing.TB, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// validCert is a certificate valid for the next hour.
func validCert(t testing.TB, dir, prefix string) testCert {
	return writeCert(t, dir, prefix, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
}

// tlsSessionConfig is sessionConfig serving msrps with c, trusting c.
func tlsSessionConfig(c testCert) Config {
	cfg := sessionConfig()
	cfg.MSRPTLSCert, cfg.MSRPTLSKey, cfg.MSRPTLSCA = c.certFile, c.keyFile, c.certFile
	return cfg
}

// wantFingerprint is the RFC 8122 fingerprint of der, computed apart
// from the code under test.
func wantFingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	pairs := make([]string, 0, len(sum))
	for i := 0; i < len(h); i += 2 {
		pairs = append(pairs, h[i:i+2])
	}
	return "SHA-256 " + strings.Join(pairs, ":")
}

// TestSessionsOverTLS opens a chat from one msrps Endpoint to another:
// the opener (outgoing session) connects to the answerer's TLS listener
// (incoming session), checking its certificate against msrp_tls_ca, and
// messages of several chunks arrive byte for byte both ways.
func TestSessionsOverTLS(t *testing.T) {
	leaks(t)
	cert := validCert(t, t.TempDir(), "")
	peer := newAcceptor()
	b := startSessions(t, tlsSessionConfig(cert), peer.handle)
	cfg := tlsSessionConfig(cert)
	cfg.OutboundProxy = proxyOf(t, b)
	a := startSessions(t, cfg, nil)
	replies := make(chan *SessionMessage, 4)
	o := largeMessage()
	o.Kind = KindChat
	o.Handler = func(ctx context.Context, m *SessionMessage) error { replies <- m; return nil }
	ctx := sendCtx(t)
	out, err := a.OpenSession(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	in := peer.nextSession(t)
	toPeer := pattern(40_000)
	if err := out.Send(ctx, &SessionMessage{ContentType: "application/octet-stream", Body: toPeer, SuccessReport: true}); err != nil {
		t.Fatal(err)
	}
	if m := peer.nextMessage(t); !bytes.Equal(m.Body, toPeer) || m.ContentType != "application/octet-stream" {
		t.Fatalf("incoming session got %q, %d bytes", m.ContentType, len(m.Body))
	}
	fromPeer := pattern(30_011)[7:]
	if err := in.Send(ctx, &SessionMessage{ContentType: "text/plain", Body: fromPeer}); err != nil {
		t.Fatal(err)
	}
	if m := nextMessage(t, replies); !bytes.Equal(m.Body, fromPeer) {
		t.Fatalf("outgoing session got %d bytes", len(m.Body))
	}
	if err := out.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := waitDone(t, in.Done(), in.Err); !errors.Is(err, ErrEndedByPeer) {
		t.Fatalf("incoming session ended with %v", err)
	}
}

// TestTLSAnswer: an msrps iwf answers a TCP/TLS/MSRP offer with an
// msrps a=path and the fingerprint of its certificate, refuses a plain
// TCP/MSRP offer with 488, and its listener refuses TLS below 1.2.
func TestTLSAnswer(t *testing.T) {
	leaks(t)
	cert := validCert(t, t.TempDir(), "")
	acc := newAcceptor()
	e := startSessions(t, tlsSessionConfig(cert), acc.handle)

	secure := strings.Replace(offer("msrps://127.0.0.1:9/peertls1;tcp", "active", "sendrecv"), "TCP/MSRP", "TCP/TLS/MSRP", 1)
	u := newRawUA(t, e, "tls-answer-1")
	res := u.invite(nil, "application/sdp", secure)
	if res.code != 200 {
		t.Fatalf("TLS offer answered %d:\n%s", res.code, res.raw)
	}
	acc.nextSession(t)
	_, port, _ := net.SplitHostPort(e.MSRPAddr())
	for _, line := range []string{
		"m=message " + port + " TCP/TLS/MSRP *",
		"a=path:msrps://127.0.0.1:" + port + "/",
		"a=fingerprint:" + wantFingerprint(cert.der),
	} {
		if !strings.Contains(string(res.body), line) {
			t.Errorf("answer lacks %q:\n%s", line, res.body)
		}
	}
	if res := u.inDialog("BYE", nil, "", ""); res.code != 200 {
		t.Fatalf("BYE answered %d", res.code)
	}

	plain := newRawUA(t, e, "tls-answer-2").invite(nil, "application/sdp", offer(peerPath, "active", "sendrecv"))
	if plain.code != 488 {
		t.Fatalf("plain offer to msrps iwf answered %d", plain.code)
	}

	pool := x509.NewCertPool()
	leaf, err := x509.ParseCertificate(cert.der)
	if err != nil {
		t.Fatal(err)
	}
	pool.AddCert(leaf)
	old := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
	d := tls.Dialer{Config: old}
	if c, err := d.DialContext(sendCtx(t), "tcp", e.MSRPAddr()); err == nil {
		c.Close()
		t.Fatal("TLS 1.1 handshake accepted")
	}
	modern := tls.Dialer{Config: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	c, err := modern.DialContext(sendCtx(t), "tcp", e.MSRPAddr())
	if err != nil {
		t.Fatalf("TLS 1.2+ handshake: %v", err)
	}
	c.Close()
}

// TestMSRPTLSConfigValidate: Validate and New load the msrp_tls_* files
// and name the key at fault.
func TestMSRPTLSConfigValidate(t *testing.T) {
	dir := t.TempDir()
	good := validCert(t, dir, "good-")
	other := validCert(t, dir, "other-")
	expired := writeCert(t, dir, "expired-", time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	garbage := filepath.Join(dir, "garbage.pem")
	writeFile(t, garbage, []byte("not PEM at all\n"))
	missing := filepath.Join(dir, "missing.pem")

	ok := []Config{
		{},
		{MSRPTLSCert: good.certFile, MSRPTLSKey: good.keyFile},
		{MSRPTLSCert: good.certFile, MSRPTLSKey: good.keyFile, MSRPTLSCA: other.certFile, MSRPTLSServerName: "msrp.iwf.test"},
	}
	for i, c := range ok {
		if err := c.Validate(); err != nil {
			t.Errorf("good %d: %v", i, err)
		}
	}
	for _, c := range []struct {
		name string
		cfg  Config
		want string // in the error
	}{
		{"cert without key", Config{MSRPTLSCert: good.certFile}, "msrp_tls_cert and msrp_tls_key"},
		{"key without cert", Config{MSRPTLSKey: good.keyFile}, "msrp_tls_cert and msrp_tls_key"},
		{"missing cert", Config{MSRPTLSCert: missing, MSRPTLSKey: good.keyFile}, "msrp_tls_cert: open " + missing},
		{"missing key", Config{MSRPTLSCert: good.certFile, MSRPTLSKey: missing}, "msrp_tls_key: open " + missing},
		{"cert not PEM", Config{MSRPTLSCert: garbage, MSRPTLSKey: good.keyFile}, "msrp_tls_cert \"" + garbage},
		{"key not PEM", Config{MSRPTLSCert: good.certFile, MSRPTLSKey: garbage}, "msrp_tls_key \"" + garbage},
		{"key of another cert", Config{MSRPTLSCert: good.certFile, MSRPTLSKey: other.keyFile}, "msrp_tls_key \"" + other.keyFile},
		{"expired cert", Config{MSRPTLSCert: expired.certFile, MSRPTLSKey: expired.keyFile}, "msrp_tls_cert \"" + expired.certFile + "\" expired"},
		{"missing CA", Config{MSRPTLSCert: good.certFile, MSRPTLSKey: good.keyFile, MSRPTLSCA: missing}, "msrp_tls_ca: open " + missing},
		{"CA not PEM", Config{MSRPTLSCert: good.certFile, MSRPTLSKey: good.keyFile, MSRPTLSCA: garbage}, "msrp_tls_ca \"" + garbage + "\" holds no PEM certificate"},
		{"CA without cert", Config{MSRPTLSCA: good.certFile}, "msrp_tls_ca needs"},
		{"server name without cert", Config{MSRPTLSServerName: "msrp.iwf.test"}, "msrp_tls_server_name needs"},
		{"bad server name", Config{MSRPTLSCert: good.certFile, MSRPTLSKey: good.keyFile, MSRPTLSServerName: "msrp iwf"}, "msrp_tls_server_name \"msrp iwf\""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			if err == nil || !strings.HasPrefix(err.Error(), "sip: config: ") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate = %v, want an error with %q", err, c.want)
			}
			if _, err := New(c.cfg, nil, (&recorder{}).handle); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("New = %v", err)
			}
		})
	}
}

// TestTLSFilesReadAtStart: Start reads the files again, so a key that
// went away between New and Start fails Start with the key's name and
// leaves nothing bound.
func TestTLSFilesReadAtStart(t *testing.T) {
	leaks(t)
	dir := t.TempDir()
	cert := validCert(t, dir, "")
	e, err := New(tlsSessionConfig(cert), nil, (&recorder{}).handle)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.EnableSessions(nil); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(cert.keyFile); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "msrp_tls_key") {
		t.Fatalf("Start = %v", err)
	}
	if a := e.Addrs(); len(a) != 0 {
		t.Fatalf("bound after a failed Start: %v", a)
	}
}
