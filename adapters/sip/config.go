package sip

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Defaults applied by New to zero fields of Config.
const (
	// DefaultDomain is the host part of URIs iwf builds when Config.Domain
	// is empty.
	DefaultDomain = "localhost"
	// DefaultMaxBodyBytes bounds the body of an inbound MESSAGE (64 KiB).
	// Pager-mode MESSAGEs above 1300 bytes arrive over TCP (RFC 3261
	// 18.1.1); bodies above the limit are answered 413.
	DefaultMaxBodyBytes = 64 << 10
	// DefaultTransactionTimeout is Timer F (64*T1, RFC 3261 17.1.2.2).
	DefaultTransactionTimeout = 32 * time.Second
	// DefaultUserAgent is the User-Agent header value.
	DefaultUserAgent = "iwf"

	// maxBodyLimit is the largest MaxBodyBytes Validate accepts.
	maxBodyLimit = 1 << 20
	// headerRoom is what the parser allows beyond MaxBodyBytes for the
	// start line and headers of one message.
	headerRoom = 16 << 10
	// udpLimit is the request size above which RFC 3261 18.1.1 mandates a
	// congestion-controlled transport; sipgo refuses larger UDP writes.
	udpLimit = 1300
)

// Config configures an Endpoint. Zero fields take the documented defaults.
type Config struct {
	// Listen is the list of "transport:host:port" addresses to serve, with
	// transport udp or tcp. Default ["udp:127.0.0.1:5070",
	// "tcp:127.0.0.1:5070"]. Port 0 picks a free port (see Endpoint.Addrs).
	Listen []string `yaml:"listen"`
	// Domain is the host part of URIs iwf builds (Call-ID, Via host when
	// listening on an unspecified address). Default "localhost".
	Domain string `yaml:"domain"`
	// OutboundProxy is the SIP URI MESSAGEs toward CPM users are sent to,
	// e.g. "sip:127.0.0.1:5060" or "sip:core.example.net;transport=tcp".
	// It is also put in a Route header with ;lr (RFC 3261 8.1.2). Empty
	// sends to the host of the Request-URI.
	OutboundProxy string `yaml:"outbound_proxy"`
	// TrustedPeers lists CIDRs or addresses allowed to send requests to
	// iwf; others get 403. Empty trusts loopback only (127.0.0.0/8, ::1);
	// "0.0.0.0/0" and "::/0" trust everyone.
	TrustedPeers []string `yaml:"trusted_peers"`
	// MaxBodyBytes bounds the body of an inbound MESSAGE; larger bodies
	// get 413. Default 65536, at most 1 MiB. Whole messages larger than
	// MaxBodyBytes+16 KiB cannot be framed: UDP datagrams are dropped and
	// TCP connections closed without a response (sipgo's parser limit).
	MaxBodyBytes int `yaml:"max_body_bytes"`
	// TransactionTimeout bounds one outbound MESSAGE transaction
	// (Send), and the wait for the final answer to iwf's INVITE,
	// re-INVITE and BYE. Default 32s (Timer F).
	TransactionTimeout time.Duration `yaml:"transaction_timeout"`
	// UserAgent is the User-Agent header value. Default "iwf".
	UserAgent string `yaml:"user_agent"`

	// The keys below configure CPM sessions (INVITE + MSRP: large
	// messages, chats, file transfers). They take effect only on an
	// Endpoint given a SessionHandler before Start; see SetSessionHandler.

	// MSRPListen is the TCP host:port of the MSRP listener. Default
	// "127.0.0.1:2855" (the MSRP port of RFC 4975); port 0 picks a free
	// port.
	MSRPListen string `yaml:"msrp_listen"`
	// MSRPHost is the host put in iwf's MSRP URIs (a=path) and SDP c=
	// lines. Default: the IP of MSRPListen; required when that is an
	// unspecified address such as 0.0.0.0.
	MSRPHost string `yaml:"msrp_host"`
	// MSRPMaxSessions bounds the sessions open at once, incoming and
	// outgoing. An INVITE past it is answered 486 Busy Here with
	// Retry-After: 5; OpenSession fails with ErrTooManySessions. Default
	// 1000.
	MSRPMaxSessions int `yaml:"msrp_max_sessions"`
	// MSRPMaxMessageBytes bounds one MSRP message iwf receives: it is
	// announced as a=max-size, a file transfer offering a larger file is
	// answered 488, and a message that grows past it is refused with MSRP
	// 413. It is also each session's receive buffer. Default 16 MiB.
	MSRPMaxMessageBytes int64 `yaml:"msrp_max_message_bytes"`
	// MSRPChunkSize is the most body bytes per MSRP SEND iwf sends.
	// Default 2048 (RFC 4975 section 7.1.1: larger chunks must be
	// interruptible, and iwf does not interrupt).
	MSRPChunkSize int `yaml:"msrp_chunk_size"`
	// MSRPIdleTimeout ends a session (iwf sends BYE) that carried no MSRP
	// frame that long. Default 5m.
	MSRPIdleTimeout time.Duration `yaml:"msrp_idle_timeout"`
	// MSRPTLSCert and MSRPTLSKey are PEM files: iwf's MSRP certificate
	// (its chain may follow) and its private key, both or neither. With
	// them the MSRP listener speaks TLS only (TLS 1.2 or later): iwf's
	// a=path URIs are msrps, its offers and answers are TCP/TLS/MSRP with
	// the certificate's a=fingerprint, and an offer of plain TCP/MSRP is
	// answered 488. Default: plain TCP.
	MSRPTLSCert string `yaml:"msrp_tls_cert"`
	MSRPTLSKey  string `yaml:"msrp_tls_key"`
	// MSRPTLSCA is a PEM bundle of the CAs that sign the certificates of
	// the msrps peers iwf connects to (an answerer with a=setup:passive).
	// Default: the system roots. Needs msrp_tls_cert.
	MSRPTLSCA string `yaml:"msrp_tls_ca"`
	// MSRPTLSServerName is the name checked against the certificate of
	// the msrps peers iwf connects to. Default: the host of the peer's
	// MSRP URI, which an IP address matches only through an IP SAN.
	// Needs msrp_tls_cert.
	MSRPTLSServerName string `yaml:"msrp_tls_server_name"`
	// MSRPAcceptTypes are the media types iwf receives in sessions
	// (a=accept-types). Default ["message/cpim", "text/plain", "*"]: files
	// of any type come in file transfers.
	MSRPAcceptTypes []string `yaml:"msrp_accept_types"`
	// MSRPAcceptWrappedTypes are the media types iwf receives inside
	// message/cpim (a=accept-wrapped-types). Default ["*"].
	MSRPAcceptWrappedTypes []string `yaml:"msrp_accept_wrapped_types"`
	// SessionExpires is the session interval of RFC 4028 iwf asks for
	// and grants: a session not refreshed by re-INVITE or UPDATE within
	// it is ended with BYE; when iwf is the refresher it refreshes at
	// half of it. Default 1800s.
	SessionExpires time.Duration `yaml:"session_expires"`
	// MinSessionExpires is iwf's Min-SE: an INVITE asking for a shorter
	// interval is answered 422. Default 90s, the floor RFC 4028 sets, or
	// session_expires when that is shorter; values below 90s are for
	// laboratories and tests.
	MinSessionExpires time.Duration `yaml:"min_session_expires"`
	// LargeMessageGrace is how long iwf waits, after the one message of
	// an incoming large message session was handled, for the sender's
	// BYE before it sends BYE itself. Default 5s.
	LargeMessageGrace time.Duration `yaml:"large_message_grace"`
}

// listenSpec is one parsed Config.Listen entry.
type listenSpec struct {
	network string // "udp" or "tcp"
	address string // host:port
}

// Validate reports the first invalid field. Zero fields are valid (they
// take defaults).
func (c *Config) Validate() error {
	if _, err := parseListen(c.Listen); err != nil {
		return err
	}
	if c.OutboundProxy != "" {
		if _, err := parseProxy(c.OutboundProxy); err != nil {
			return err
		}
	}
	if _, err := parseTrusted(c.TrustedPeers); err != nil {
		return err
	}
	if c.MaxBodyBytes < 0 || c.MaxBodyBytes > maxBodyLimit {
		return fmt.Errorf("sip: config: max_body_bytes %d out of range 0..%d", c.MaxBodyBytes, maxBodyLimit)
	}
	if c.TransactionTimeout < 0 {
		return fmt.Errorf("sip: config: transaction_timeout %v is negative", c.TransactionTimeout)
	}
	if strings.ContainsAny(c.Domain, " \t\r\n<>;@") {
		return fmt.Errorf("sip: config: domain %q is not a host name", c.Domain)
	}
	if strings.ContainsAny(c.UserAgent, "\r\n") {
		return errors.New("sip: config: user_agent contains a line break")
	}
	return c.validateSessions()
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if len(c.Listen) == 0 {
		c.Listen = []string{"udp:127.0.0.1:5070", "tcp:127.0.0.1:5070"}
	}
	if c.Domain == "" {
		c.Domain = DefaultDomain
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.TransactionTimeout == 0 {
		c.TransactionTimeout = DefaultTransactionTimeout
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	return c.sessionDefaults()
}

func parseListen(list []string) ([]listenSpec, error) {
	specs := make([]listenSpec, 0, len(list))
	for _, s := range list {
		network, address, ok := strings.Cut(s, ":")
		network = strings.ToLower(network)
		if !ok || (network != "udp" && network != "tcp") {
			return nil, fmt.Errorf("sip: config: listen %q: want udp:host:port or tcp:host:port", s)
		}
		if _, _, err := net.SplitHostPort(address); err != nil {
			return nil, fmt.Errorf("sip: config: listen %q: %w", s, err)
		}
		specs = append(specs, listenSpec{network: network, address: address})
	}
	return specs, nil
}

// proxyRoute is the parsed outbound proxy.
type proxyRoute struct {
	uri       sip.Uri
	hostPort  string // where to send
	transport string // "UDP", "TCP" or "" (choose by size)
}

func parseProxy(s string) (*proxyRoute, error) {
	var u sip.Uri
	if err := sip.ParseUri(s, &u); err != nil {
		return nil, fmt.Errorf("sip: config: outbound_proxy %q: %w", s, err)
	}
	if u.Scheme != "sip" || u.Host == "" {
		return nil, fmt.Errorf("sip: config: outbound_proxy %q: want sip:host[:port]", s)
	}
	p := &proxyRoute{uri: u}
	if t, ok := u.UriParams.Get("transport"); ok {
		switch strings.ToLower(t) {
		case "udp":
			p.transport = "UDP"
		case "tcp":
			p.transport = "TCP"
		default:
			return nil, fmt.Errorf("sip: config: outbound_proxy %q: transport %q not supported", s, t)
		}
	}
	port := u.Port
	if port == 0 {
		port = 5060
	}
	p.hostPort = net.JoinHostPort(u.Host, fmt.Sprint(port))
	return p, nil
}

func loopbackPrefixes() []netip.Prefix {
	return []netip.Prefix{
		netip.PrefixFrom(netip.AddrFrom4([4]byte{127, 0, 0, 0}), 8),
		netip.PrefixFrom(netip.IPv6Loopback(), 128),
	}
}

func parseTrusted(list []string) ([]netip.Prefix, error) {
	if len(list) == 0 {
		return loopbackPrefixes(), nil
	}
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("sip: config: trusted_peers %q: not a CIDR or address", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
