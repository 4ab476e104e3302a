package addressmap

import (
	"fmt"
	"strings"
)

// IMPSConfig says how CPM users and IMPS users are named across the IWF-1
// boundary (OMA IMPS WV-CSP 1.1/1.2 User-ID: "wv:" user "@" domain).
//
// The IMPS users live in RemoteDomains: CPM users write to them as
// "sip:alice@imps.example.net", "im:alice@imps.example.net" or
// "wv:alice@imps.example.net", and see them as
// "sip:alice@imps.example.net". The CPM users appear to IMPS users in
// Domain: a number as "wv:+447700900123@cpm.example.net", a SIP identity
// "sip:bob@<CPMDomain>" as "wv:bob@cpm.example.net".
//
// Domains compare without case and are written in lower case; user names
// are kept as written. Ids without a domain, and group or contact-list ids
// ("wv:john/chatgroup@there.com"), name no user and are not mapped.
type IMPSConfig struct {
	// Domain is the wv domain the CPM users appear in, "cpm.example.net".
	// Required.
	Domain string `yaml:"domain"`
	// RemoteDomains are the SIP/IM URI domains whose users are IMPS users,
	// ["imps.example.net"]. At least one; none may be Domain or CPMDomain.
	RemoteDomains []string `yaml:"remote_domains"`
	// CPMDomain is the SIP domain of CPM users, for the IMPS ids of CPM
	// users that are not numbers ("sip:bob@<CPMDomain>"). Empty: only
	// numbers cross.
	CPMDomain string `yaml:"cpm_domain"`
}

// IMPSSide says on which side of IWF-1 the user of a wv id is.
type IMPSSide uint8

// The sides IMPSConfig.SideOf tells apart.
const (
	SideNone IMPSSide = iota // not a user id in a configured domain
	SideIMPS                 // a user of the IMPS server: the id is in RemoteDomains
	SideCPM                  // a CPM user as IMPS users see it: the id is in Domain
)

// Validate reports the first problem with c; the error wraps ErrConfig.
func (c IMPSConfig) Validate() error {
	if c.Domain == "" {
		return configError("imps domain is required")
	}
	if !validHost(c.Domain) {
		return configError("imps domain %q is not a host name", c.Domain)
	}
	if c.CPMDomain != "" && !validHost(c.CPMDomain) {
		return configError("imps cpm_domain %q is not a host name", c.CPMDomain)
	}
	if len(c.RemoteDomains) == 0 {
		return configError("imps remote_domains: want at least one")
	}
	seen := make(map[string]bool, len(c.RemoteDomains))
	for i, d := range c.RemoteDomains {
		f := foldDomain(d)
		switch {
		case !validHost(d):
			return configError("imps remote_domains[%d] %q is not a host name", i, d)
		case seen[f]:
			return configError("imps remote_domains[%d] %q is repeated", i, d)
		// A domain on both sides would make one id name two users.
		case f == foldDomain(c.Domain):
			return configError("imps remote_domains[%d] %q is also the domain of CPM users", i, d)
		case c.CPMDomain != "" && f == foldDomain(c.CPMDomain):
			return configError("imps remote_domains[%d] %q is also cpm_domain", i, d)
		}
		seen[f] = true
	}
	return nil
}

// IMPSRecipient maps a CPM recipient address, as in a Request-URI or a CPIM
// To ("sip:alice@imps.example.net", "im:alice@imps.example.net",
// "wv:alice@imps.example.net", optionally "Alice <…>"), to the IMPS id
// "wv:alice@imps.example.net". ok is false, with no error, when the address
// names no IMPS user: another scheme, a domain not in RemoteDomains, a wv
// id without domain, a group id. SIP URI parameters and headers and IM
// URI headers are dropped; escapes in the user part are decoded. Errors,
// wrapping ErrInvalid, are for unreadable input and for users an IMPS id
// cannot hold (space, quote, angle bracket, non-ASCII).
func (c IMPSConfig) IMPSRecipient(addr string) (id string, ok bool, err error) {
	if len(addr) > MaxAddressLen {
		return "", false, invalid(addr, "longer than 256 bytes")
	}
	uri := addressURI(addr)
	if uri == "" {
		return "", false, invalid(addr, "empty")
	}
	scheme, rest, hasScheme := strings.Cut(uri, ":")
	if !hasScheme {
		return "", false, nil
	}
	var user, domain string
	switch strings.ToLower(scheme) {
	case "wv":
		user, domain, err = splitWV(addr, rest)
	case "im":
		user, domain, err = splitIM(addr, rest)
	case "sip", "sips":
		user, domain, err = splitSIP(addr, rest)
	default:
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	if domain == "" || isGroupUser(user) || !c.isRemote(domain) {
		return "", false, nil
	}
	return "wv:" + user + "@" + domain, true, nil
}

// IMPSSender maps a CPM user's address, already normalised by
// Map.Normalize, to its IMPS id in Domain:
//
//	International +447700900123       wv:+447700900123@<Domain>
//	ShortCode 40404                   wv:40404@<Domain>
//	SIPIdentity sip:bob@<CPMDomain>   wv:bob@<Domain>
//
// A SIP identity in any other domain has no IMPS id (two CPM users would
// share one), nor do alphanumeric senders and IMPS ids: those errors wrap
// ErrNoForm. An invalid c gives an error wrapping ErrConfig.
func (c IMPSConfig) IMPSSender(n Number) (string, error) {
	if c.Domain == "" || !validHost(c.Domain) {
		return "", configError("imps domain %q is not a host name", c.Domain)
	}
	domain := foldDomain(c.Domain)
	switch n.Kind {
	case International:
		return "wv:+" + n.Digits + "@" + domain, nil
	case ShortCode:
		return "wv:" + n.Digits + "@" + domain, nil
	case SIPIdentity:
		user, err := c.cpmSIPUser(n.Text)
		if err != nil {
			return "", err
		}
		return "wv:" + user + "@" + domain, nil
	}
	return "", fmt.Errorf("%w: %s %q has no IMPS id", ErrNoForm, n.Kind, n.String())
}

// cpmSIPUser returns the decoded user part of a CPM user's SIP identity,
// which must be in CPMDomain and hold only what an IMPS id can.
func (c IMPSConfig) cpmSIPUser(uri string) (string, error) {
	_, rest, _ := strings.Cut(uri, ":")
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return "", fmt.Errorf("%w: %q has no host", ErrNoForm, uri)
	}
	if c.CPMDomain == "" || hostOnly(rest[at+1:]) != foldDomain(c.CPMDomain) {
		return "", fmt.Errorf("%w: %q is not in cpm_domain %q", ErrNoForm, uri, c.CPMDomain)
	}
	user, ok := unescapeUser(rest[:at])
	if !ok || !validWVUser(user) || isGroupUser(user) {
		return "", fmt.Errorf("%w: user of %q cannot be an IMPS id", ErrNoForm, uri)
	}
	return user, nil
}

// CPMFromIMPS maps an IMPS id to the address a CPM user sees or writes to:
//
//   - an id in one of RemoteDomains (an IMPS user) gives the SIP identity
//     "sip:<user>@<that domain>" (im: is not routable in SIP);
//   - an id in Domain (a CPM user) whose user is "+" and E.164 digits gives
//     that International number, for Map.CPMAddress to write per CPMForm;
//   - any other id in Domain gives the SIP identity "sip:<user>@<CPMDomain>".
//
// Each Number is what Map.Normalize gives for its URI, but for an IMPS user
// named like a number ("wv:+447700900123@imps.example.net"): its SIP
// identity "sip:+447700900123@imps.example.net" reads back as the number,
// so replies to a remote domain must go through IMPSRecipient before
// Map.Owner.
//
// An id in another domain, without domain, or naming a group gives an error
// wrapping ErrNoForm: the IMPS side may not name users of domains it does
// not own. Unreadable ids give an error wrapping ErrInvalid.
func (c IMPSConfig) CPMFromIMPS(id string) (Number, error) {
	user, domain, err := parseWVID(id)
	if err != nil {
		return Number{}, err
	}
	if domain == "" || isGroupUser(user) {
		return Number{}, fmt.Errorf("%w: %q names no IMPS user in a domain", ErrNoForm, id)
	}
	switch {
	case c.isRemote(domain):
		return Number{Kind: SIPIdentity, Text: "sip:" + escapeSIPUser(user) + "@" + domain}, nil
	case c.Domain != "" && domain == foldDomain(c.Domain):
		return c.cpmUser(id, user)
	}
	return Number{}, fmt.Errorf("%w: %q is in no configured IMPS domain", ErrNoForm, id)
}

// cpmUser maps the user part of a CPM user's IMPS id.
func (c IMPSConfig) cpmUser(id, user string) (Number, error) {
	if user[0] == '+' {
		d := user[1:]
		if !allDigits(d) || d == "" || d[0] == '0' || len(d) < minE164Len || len(d) > maxE164Len {
			return Number{}, invalid(id, "user is not an E.164 number")
		}
		return Number{Kind: International, Digits: d}, nil
	}
	if c.CPMDomain == "" {
		return Number{}, fmt.Errorf("%w: %q is not a number and no cpm_domain is configured", ErrNoForm, id)
	}
	return Number{Kind: SIPIdentity, Text: "sip:" + escapeSIPUser(user) + "@" + foldDomain(c.CPMDomain)}, nil
}

// SideOf says whose user a wv id names: an IMPS user (RemoteDomains), a CPM
// user (Domain), or neither (another domain, no domain, a group, or not a
// readable wv id). The gateway checks that a NewMessage comes from SideIMPS
// and goes to SideCPM, so the IMPS server cannot speak for CPM users.
func (c IMPSConfig) SideOf(id string) IMPSSide {
	user, domain, err := parseWVID(id)
	switch {
	case err != nil || domain == "" || isGroupUser(user):
		return SideNone
	case c.isRemote(domain):
		return SideIMPS
	case c.Domain != "" && domain == foldDomain(c.Domain):
		return SideCPM
	}
	return SideNone
}

func (c IMPSConfig) isRemote(folded string) bool {
	for _, d := range c.RemoteDomains {
		if foldDomain(d) == folded {
			return true
		}
	}
	return false
}

// parseWVID reads a wv id, "wv:" included, into its user and folded
// domain ("" when absent).
func parseWVID(id string) (user, domain string, err error) {
	if len(id) > MaxAddressLen {
		return "", "", invalid(id, "longer than 256 bytes")
	}
	t := strings.TrimSpace(id)
	scheme, rest, ok := strings.Cut(t, ":")
	if !ok || !strings.EqualFold(scheme, "wv") {
		return "", "", invalid(id, "not a wv id")
	}
	return splitWV(id, rest)
}

// splitWV reads the part of a wv id after "wv:" (WV-CSP User-ID): a user,
// optionally "@" and a domain, printable ASCII with no space, quote or
// angle bracket, as fromWV reads it; the domain must be a host name.
func splitWV(in, rest string) (user, domain string, err error) {
	if _, err := fromWV(in, rest); err != nil {
		return "", "", err
	}
	user, domain, _ = strings.Cut(rest, "@")
	if domain != "" && !validHost(domain) {
		return "", "", invalid(in, "wv id domain is not a host name")
	}
	return user, foldDomain(domain), nil
}

// splitIM reads the part of an im URI after "im:" (RFC 3860): an
// addr-spec, then optional "?" headers, which are dropped.
func splitIM(in, rest string) (user, domain string, err error) {
	rest, _, _ = strings.Cut(rest, "?")
	local, host, ok := strings.Cut(rest, "@")
	if !ok || local == "" || !validHost(host) {
		return "", "", invalid(in, "im URI needs user@domain")
	}
	user, ok = unescapeUser(local)
	if !ok || !validWVUser(user) {
		return "", "", invalid(in, "im URI user cannot be an IMPS id")
	}
	return user, foldDomain(host), nil
}

// splitSIP reads the part of a SIP or SIPS URI after the scheme: user and
// host; port, parameters and headers are dropped.
func splitSIP(in, rest string) (user, domain string, err error) {
	u, hostport, ok := strings.Cut(rest, "@")
	if !ok || u == "" {
		return "", "", invalid(in, "SIP URI has no user part")
	}
	if strings.IndexByte(u, ':') >= 0 {
		return "", "", invalid(in, "SIP URI carries a password")
	}
	hostport, _, _ = strings.Cut(hostport, "?")
	hostport, _, _ = strings.Cut(hostport, ";")
	hp, err := sipHostPort(in, hostport)
	if err != nil {
		return "", "", err
	}
	if _, err := canonicalSIPUser(in, u); err != nil {
		return "", "", err
	}
	user, ok = unescapeUser(u)
	if !ok || !validWVUser(user) {
		return "", "", invalid(in, "SIP user cannot be an IMPS id")
	}
	return user, hostOnly(hp), nil
}

// addressURI trims s and returns the URI between its last angle brackets
// ("Alice <sip:alice@example.net>"), or the whole of it.
func addressURI(s string) string {
	t := strings.TrimSpace(s)
	if strings.HasSuffix(t, ">") {
		if i := strings.LastIndexByte(t, '<'); i >= 0 {
			return strings.TrimSpace(t[i+1 : len(t)-1])
		}
	}
	return t
}

// hostOnly folds a host[:port] and drops the port.
func hostOnly(hp string) string {
	if !strings.HasPrefix(hp, "[") {
		if i := strings.IndexByte(hp, ':'); i >= 0 {
			hp = hp[:i]
		}
	}
	return foldDomain(hp)
}

func foldDomain(d string) string { return strings.ToLower(strings.TrimSuffix(d, ".")) }

// unescapeUser decodes every %HH escape of a URI user part; ok is false for
// a broken escape.
func unescapeUser(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 {
		return s, true
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", false
		}
		b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
		i += 2
	}
	return b.String(), true
}

// validWVUser reports whether s can be the user of a wv id: printable
// ASCII without space, quote, angle bracket or "@".
func validWVUser(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '@' {
			return false
		}
	}
	return true
}

// isGroupUser reports whether a wv user part names a group or a contact
// list ("john/chatgroup", "/happy"): WV-CSP puts a resource after "/".
func isGroupUser(user string) bool { return strings.IndexByte(user, '/') >= 0 }
