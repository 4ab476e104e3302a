package kafka

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/iwf-gateway/iwf/internal/leakcheck"
	"github.com/iwf-gateway/iwf/journal"
)

// testCA makes a CA and a certificate for 127.0.0.1 signed by it, and
// writes the CA to a PEM file.
func testCA(t *testing.T) (serverCert tls.Certificate, caFile string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "iwf test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}, caFile
}

// TestTLSAndSASL: the journal works over TLS with SASL PLAIN, and a wrong
// password or an unknown CA keeps it out.
func TestTLSAndSASL(t *testing.T) {
	leakcheck.Check(t)
	cert, caFile := testCA(t)
	c := newCluster(t,
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}),
		kfake.EnableSASL(), kfake.Superuser("PLAIN", "iwf", "s3cret"))
	cfg := testConfig(c)
	cfg.TLS = TLSConfig{Enabled: true, CAFile: caFile}
	cfg.SASL = SASLConfig{Mechanism: "PLAIN", Username: "iwf", Password: "s3cret"}
	j := openTest(t, cfg)
	e := put(t, j, journal.Entry{State: journal.Open, Refs: []string{"tls-ref"}})[0]
	if seq, err := j.Lookup(context.Background(), "tls-ref"); err != nil || seq != e.Seq {
		t.Errorf("Lookup over TLS = %d, %v", seq, err)
	}

	for name, bad := range map[string]Config{
		"wrong password": func() Config { b := cfg; b.SASL.Password = "guess"; return b }(),
		"unknown CA":     func() Config { b := cfg; b.TLS.CAFile = ""; return b }(),
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		j, err := Open(ctx, bad, testLogger())
		cancel()
		if err == nil {
			j.Close()
			t.Errorf("Open with %s succeeded", name)
		}
	}
}
