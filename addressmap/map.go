package addressmap

import "strings"

// Map normalises addresses and routes recipients under one Config. It is
// immutable and safe for concurrent use.
type Map struct {
	cfg         Config // defaults applied
	cc          string // home country code, "" when none
	ccContext   string // "+" + cc, "" when none
	np, ip      string // national and international prefixes, "" when none
	shortMax    int
	maxNational int
	rules       []compiledRule
	def         Route
}

// New returns a Map for cfg, after cfg.Validate.
func New(cfg Config) (*Map, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	m := &Map{
		cfg:         c,
		cc:          c.CountryCode,
		shortMax:    c.ShortCodeMaxLen,
		maxNational: c.MaxNationalLen,
		def:         Route{Network: c.DefaultNetwork, Name: c.DefaultRoute},
	}
	if m.cc != "" {
		m.ccContext = "+" + m.cc
	}
	if c.NationalPrefix != NoPrefix {
		m.np = c.NationalPrefix
	}
	if c.InternationalPrefix != NoPrefix {
		m.ip = c.InternationalPrefix
	}
	m.rules = make([]compiledRule, 0, len(c.Rules))
	for _, r := range c.Rules {
		cr, err := compileRule(r)
		if err != nil { // Validate compiled them already
			return nil, configError("%v", err)
		}
		m.rules = append(m.rules, cr)
	}
	return m, nil
}

// CPMAddress returns the URI iwf uses for n toward CPM users (as From of a
// message from a legacy user, or To of one to a CPM user):
//   - a number or short code: its tel URI, or with Config.CPMForm "sip" and
//     a non-empty domain its SIP URI with user=phone in domain;
//   - a SIP identity or IMPS id: itself;
//   - an alphanumeric sender: "sip:<name>@domain", the name escaped
//     (RFC 3261 section 19.1.2), since a tel URI cannot carry letters;
//     "" when domain is empty. Replies to it find no route: it cannot
//     receive (Number.Replyable).
//
// The zero Number gives "".
func (m *Map) CPMAddress(n Number, domain string) string {
	switch n.Kind {
	case International, ShortCode:
		if m.cfg.CPMForm == CPMFormSIP && domain != "" {
			return n.SIPURI(domain)
		}
		return n.TelURI()
	case SIPIdentity, IMPS:
		return n.Text
	case Alphanumeric:
		if domain == "" {
			return ""
		}
		return "sip:" + escapeSIPUser(n.Text) + "@" + domain
	}
	return ""
}

// escapeSIPUser escapes s as a SIP URI user part: unreserved and
// user-unreserved characters stay, every other byte becomes %HH.
func escapeSIPUser(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || isUserUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&0x0f])
	}
	return b.String()
}
