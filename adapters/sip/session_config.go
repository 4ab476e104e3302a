package sip

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip/mediasession"
	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
)

// Defaults of the session keys of Config.
const (
	// DefaultMSRPListen is the MSRP listener's address: loopback, on the
	// MSRP port of RFC 4975.
	DefaultMSRPListen = "127.0.0.1:2855"
	// DefaultMSRPMaxSessions bounds the sessions open at once.
	DefaultMSRPMaxSessions = 1000
	// DefaultMSRPMaxMessageBytes bounds one received MSRP message (16 MiB).
	DefaultMSRPMaxMessageBytes = 16 << 20
	// DefaultMSRPChunkSize is the most body bytes per MSRP SEND.
	DefaultMSRPChunkSize = 2048
	// DefaultMSRPIdleTimeout ends a session without MSRP traffic.
	DefaultMSRPIdleTimeout = 5 * time.Minute
	// DefaultSessionExpires is the RFC 4028 session interval (1800s, the
	// value RFC 4028 section 4 recommends).
	DefaultSessionExpires = 1800 * time.Second
	// DefaultMinSessionExpires is the RFC 4028 Min-SE floor.
	DefaultMinSessionExpires = 90 * time.Second
	// DefaultLargeMessageGrace is the wait for a large message sender's
	// BYE.
	DefaultLargeMessageGrace = 5 * time.Second

	// maxSessionExpires keeps intervals within what a Session-Expires
	// header carries without overflow worries (one day).
	maxSessionExpires = 24 * time.Hour
	// maxMSRPMessageBytes is the largest msrp_max_message_bytes Validate
	// accepts (1 GiB).
	maxMSRPMessageBytes = 1 << 30
	// sessionsFullRetryAfter is the Retry-After, in seconds, of the 486
	// that refuses an INVITE past msrp_max_sessions: chats end within
	// minutes, large messages within seconds.
	sessionsFullRetryAfter = 5
)

// validateSessions checks the session keys of c.
func (c *Config) validateSessions() error {
	if c.MSRPListen != "" {
		host, _, err := net.SplitHostPort(c.MSRPListen)
		if err != nil {
			return fmt.Errorf("sip: config: msrp_listen %q: %w", c.MSRPListen, err)
		}
		if ip, err := netip.ParseAddr(host); (host == "" || err == nil && ip.IsUnspecified()) && c.MSRPHost == "" {
			return fmt.Errorf("sip: config: msrp_listen %q needs msrp_host for the URIs iwf hands out", c.MSRPListen)
		}
	}
	for _, n := range []struct {
		name string
		v    int64
	}{{"msrp_max_sessions", int64(c.MSRPMaxSessions)}, {"msrp_max_message_bytes", c.MSRPMaxMessageBytes},
		{"msrp_chunk_size", int64(c.MSRPChunkSize)}, {"msrp_idle_timeout", int64(c.MSRPIdleTimeout)},
		{"session_expires", int64(c.SessionExpires)}, {"min_session_expires", int64(c.MinSessionExpires)},
		{"large_message_grace", int64(c.LargeMessageGrace)}} {
		if n.v < 0 {
			return fmt.Errorf("sip: config: %s %d is negative", n.name, n.v)
		}
	}
	d := c.sessionDefaults()
	switch {
	case d.MSRPMaxMessageBytes > maxMSRPMessageBytes:
		return fmt.Errorf("sip: config: msrp_max_message_bytes %d exceeds %d", d.MSRPMaxMessageBytes, maxMSRPMessageBytes)
	case d.MSRPChunkSize > msrp.DefaultMaxBodyBytes:
		return fmt.Errorf("sip: config: msrp_chunk_size %d exceeds %d", d.MSRPChunkSize, msrp.DefaultMaxBodyBytes)
	case d.SessionExpires%time.Second != 0 || d.MinSessionExpires%time.Second != 0:
		return fmt.Errorf("sip: config: session_expires and min_session_expires must be whole seconds")
	case d.MinSessionExpires < time.Second:
		return fmt.Errorf("sip: config: min_session_expires %v is below 1s", d.MinSessionExpires)
	case d.SessionExpires < d.MinSessionExpires:
		return fmt.Errorf("sip: config: session_expires %v is below min_session_expires %v", d.SessionExpires, d.MinSessionExpires)
	case d.SessionExpires > maxSessionExpires:
		return fmt.Errorf("sip: config: session_expires %v exceeds %v", d.SessionExpires, maxSessionExpires)
	}
	for _, list := range []struct {
		name  string
		types []string
	}{{"msrp_accept_types", c.MSRPAcceptTypes}, {"msrp_accept_wrapped_types", c.MSRPAcceptWrappedTypes}} {
		for _, t := range list.types {
			if !validAcceptType(t) {
				return fmt.Errorf("sip: config: %s: %q is not \"*\", type/* or type/subtype", list.name, t)
			}
		}
	}
	media := d.mediaConfig()
	if err := media.Validate(); err != nil {
		return fmt.Errorf("sip: config: %w", err)
	}
	_, err := c.loadMSRPTLS()
	return err
}

// validAcceptType accepts what a=accept-types may carry: "*",
// "type/*" or "type/subtype", tokens without parameters.
func validAcceptType(t string) bool {
	if t == "*" {
		return true
	}
	typ, sub, ok := strings.Cut(t, "/")
	return ok && isToken(typ) && (sub == "*" || isToken(sub))
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && !strings.ContainsRune("-.!%*_+`'~", rune(c)) {
			return false
		}
	}
	return true
}

// sessionDefaults returns c with zero session keys set to their
// defaults.
func (c Config) sessionDefaults() Config {
	if c.MSRPListen == "" {
		c.MSRPListen = DefaultMSRPListen
	}
	if c.MSRPMaxSessions == 0 {
		c.MSRPMaxSessions = DefaultMSRPMaxSessions
	}
	if c.MSRPMaxMessageBytes == 0 {
		c.MSRPMaxMessageBytes = DefaultMSRPMaxMessageBytes
	}
	if c.MSRPChunkSize == 0 {
		c.MSRPChunkSize = DefaultMSRPChunkSize
	}
	if c.MSRPIdleTimeout == 0 {
		c.MSRPIdleTimeout = DefaultMSRPIdleTimeout
	}
	if len(c.MSRPAcceptTypes) == 0 {
		c.MSRPAcceptTypes = []string{"message/cpim", "text/plain", "*"}
	}
	if len(c.MSRPAcceptWrappedTypes) == 0 {
		c.MSRPAcceptWrappedTypes = []string{"*"}
	}
	if c.SessionExpires == 0 {
		c.SessionExpires = DefaultSessionExpires
	}
	if c.MinSessionExpires == 0 {
		c.MinSessionExpires = min(DefaultMinSessionExpires, c.SessionExpires)
	}
	if c.LargeMessageGrace == 0 {
		c.LargeMessageGrace = DefaultLargeMessageGrace
	}
	return c
}

// mediaConfig is the MSRP endpoint's configuration. Its session limit
// is left above MSRPMaxSessions: the SIP side counts sessions and
// answers 486 before the MSRP side would refuse one.
func (c Config) mediaConfig() mediasession.EndpointConfig {
	return mediasession.EndpointConfig{
		Listen:        c.MSRPListen,
		Host:          c.MSRPHost,
		ChunkSize:     c.MSRPChunkSize,
		MaxSessions:   c.MSRPMaxSessions + 1,
		IdleTimeout:   c.MSRPIdleTimeout,
		ReceiveBuffer: c.MSRPMaxMessageBytes,
		Limits: msrp.Config{
			MaxMessageBytes: c.MSRPMaxMessageBytes,
			MaxBodyBytes:    max(msrp.DefaultMaxBodyBytes, c.MSRPChunkSize),
		},
	}
}

// msrpTLS is what the msrp_tls_* keys make of the MSRP endpoint.
type msrpTLS struct {
	config      *tls.Config // nil: plain TCP
	fingerprint string      // a=fingerprint of iwf's certificate (RFC 8122)
}

// loadMSRPTLS reads the files of the msrp_tls_* keys and builds the TLS
// configuration of the MSRP endpoint: its certificate for the listener,
// and the CAs and server name that check the peers iwf connects to. It
// returns a zero msrpTLS when msrp_tls_cert is empty. The files are read
// by Validate and again by Start, so that Start serves the files as they
// are then.
func (c *Config) loadMSRPTLS() (msrpTLS, error) {
	on := c.MSRPTLSCert != ""
	switch {
	case on != (c.MSRPTLSKey != ""):
		return msrpTLS{}, errors.New("sip: config: msrp_tls_cert and msrp_tls_key go together")
	case !on && c.MSRPTLSCA != "":
		return msrpTLS{}, errors.New("sip: config: msrp_tls_ca needs msrp_tls_cert and msrp_tls_key")
	case !on && c.MSRPTLSServerName != "":
		return msrpTLS{}, errors.New("sip: config: msrp_tls_server_name needs msrp_tls_cert and msrp_tls_key")
	case !on:
		return msrpTLS{}, nil
	case strings.ContainsFunc(c.MSRPTLSServerName, func(r rune) bool { return r <= ' ' || r == 0x7f || strings.ContainsRune("/@[]", r) }):
		return msrpTLS{}, fmt.Errorf("sip: config: msrp_tls_server_name %q is not a host name or address", c.MSRPTLSServerName)
	}
	cert, err := loadKeyPair(c.MSRPTLSCert, c.MSRPTLSKey)
	if err != nil {
		return msrpTLS{}, err
	}
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ServerName:   c.MSRPTLSServerName,
	}
	if c.MSRPTLSCA != "" {
		if cfg.RootCAs, err = loadCAs(c.MSRPTLSCA); err != nil {
			return msrpTLS{}, err
		}
	}
	return msrpTLS{config: cfg, fingerprint: fingerprint(cert.Leaf)}, nil
}

// loadKeyPair reads iwf's MSRP certificate and key; an error names the
// key whose file is at fault.
func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("sip: config: msrp_tls_cert: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("sip: config: msrp_tls_key: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("sip: config: msrp_tls_cert %q, msrp_tls_key %q: %w", certFile, keyFile, err)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return tls.Certificate{}, fmt.Errorf("sip: config: msrp_tls_cert %q: %w", certFile, err)
		}
	}
	// An expired certificate fails every handshake; say so at
	// check-config rather than per session.
	if now := time.Now(); now.After(cert.Leaf.NotAfter) {
		return tls.Certificate{}, fmt.Errorf("sip: config: msrp_tls_cert %q expired on %s", certFile, cert.Leaf.NotAfter.UTC().Format(time.DateOnly))
	}
	return cert, nil
}

// loadCAs reads the msrp_tls_ca bundle.
func loadCAs(file string) (*x509.CertPool, error) {
	pemData, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("sip: config: msrp_tls_ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, fmt.Errorf("sip: config: msrp_tls_ca %q holds no PEM certificate", file)
	}
	return pool, nil
}

// fingerprint is the a=fingerprint value of cert (RFC 8122 section 5):
// "SHA-256" and the digest of its DER form in upper-case hex pairs
// joined by colons.
func fingerprint(cert *x509.Certificate) string {
	const hexDigits = "0123456789ABCDEF"
	sum := sha256.Sum256(cert.Raw)
	b := make([]byte, 0, len("SHA-256 ")+3*len(sum))
	b = append(b, "SHA-256 "...)
	for i, v := range sum {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hexDigits[v>>4], hexDigits[v&0x0f])
	}
	return string(b)
}
