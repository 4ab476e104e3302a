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
	// (Send). Default 32s (Timer F).
	TransactionTimeout time.Duration `yaml:"transaction_timeout"`
	// UserAgent is the User-Agent header value. Default "iwf".
	UserAgent string `yaml:"user_agent"`
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
	return nil
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
	return c
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
