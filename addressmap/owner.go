package addressmap

import (
	"errors"
	"fmt"
	"strings"
)

// Route is the network that owns a recipient and, optionally, which of its
// routes (SMSC, relay, server) to use.
type Route struct {
	Network string // an adapter name: "sms", "cpm", "mms", "imps"
	Name    string // the route within it; empty for the network's only one
}

// Owner normalises addr and returns the route of the first rule that
// matches it, or the default network. Unreadable input gives an
// *InvalidError; an address no rule matches, with no default network, or
// one that cannot receive (an alphanumeric sender), gives ErrNoRoute.
func (m *Map) Owner(addr string) (Route, error) {
	n, err := m.Normalize(addr)
	if err != nil {
		return Route{}, err
	}
	return m.OwnerOf(n)
}

// OwnerOf is Owner for an address already normalised.
func (m *Map) OwnerOf(n Number) (Route, error) {
	if !n.Replyable() {
		return Route{}, fmt.Errorf("%w: %s %q cannot receive", ErrNoRoute, n.Kind, n.String())
	}
	for i := range m.rules {
		if m.rules[i].matches(n) {
			return m.rules[i].route, nil
		}
	}
	if m.def.Network != "" {
		return m.def, nil
	}
	return Route{}, fmt.Errorf("%w: %s", ErrNoRoute, n.String())
}

type matchKind uint8

const (
	matchAll matchKind = iota
	matchE164
	matchShortCode
	matchURI
)

// compiledRule is a Rule parsed once by New.
type compiledRule struct {
	kind   matchKind
	digits string // E.164 or short code (prefix)
	prefix bool   // short code: digits is a prefix
	scheme string // "sip", "sips" or "wv"
	user   string // glob on the user part (sip), or on the whole id (wv)
	host   string // glob on the host part (sip), lower case
	route  Route
}

var errRuleMatch = errors.New(`match: want "*", "+" and digits, a short code, "sip:user@host", "sips:user@host" or "wv:id"`)

func compileRule(r Rule) (compiledRule, error) {
	if !isToken(r.Network) {
		return compiledRule{}, fmt.Errorf("network %q: want letters, digits, '-' or '_'", r.Network)
	}
	if r.Route != "" && !isToken(r.Route) {
		return compiledRule{}, fmt.Errorf("route %q: want letters, digits, '-' or '_'", r.Route)
	}
	cr := compiledRule{route: Route{Network: r.Network, Name: r.Route}}
	s := r.Match
	switch {
	case s == "*":
		cr.kind = matchAll
	case strings.HasPrefix(s, "+"):
		if len(s) > 1+maxE164Len || !allDigits(s[1:]) {
			return compiledRule{}, fmt.Errorf("match %q: %w", s, errRuleMatch)
		}
		cr.kind, cr.digits = matchE164, s[1:]
	case s != "" && isDigit(s[0]):
		cr.kind, cr.digits = matchShortCode, strings.TrimSuffix(s, "*")
		cr.prefix = len(cr.digits) < len(s)
		if len(cr.digits) > 8 || !allDigits(cr.digits) {
			return compiledRule{}, fmt.Errorf("match %q: %w", s, errRuleMatch)
		}
	default:
		return compileURIRule(cr, s)
	}
	return cr, nil
}

func compileURIRule(cr compiledRule, s string) (compiledRule, error) {
	scheme, rest, _ := strings.Cut(s, ":")
	cr.kind, cr.scheme = matchURI, strings.ToLower(scheme)
	switch cr.scheme {
	case "sip", "sips":
		user, host, ok := strings.Cut(rest, "@")
		if !ok || user == "" || host == "" {
			return compiledRule{}, fmt.Errorf("match %q: %w", s, errRuleMatch)
		}
		cr.user, cr.host = user, strings.ToLower(host)
	case "wv":
		if rest == "" {
			return compiledRule{}, fmt.Errorf("match %q: %w", s, errRuleMatch)
		}
		cr.user = strings.ToLower(rest)
	default:
		return compiledRule{}, fmt.Errorf("match %q: %w", s, errRuleMatch)
	}
	return cr, nil
}

func (r *compiledRule) matches(n Number) bool {
	switch r.kind {
	case matchAll:
		return true
	case matchE164:
		return n.Kind == International && strings.HasPrefix(n.Digits, r.digits)
	case matchShortCode:
		if n.Kind != ShortCode {
			return false
		}
		if r.prefix {
			return strings.HasPrefix(n.Digits, r.digits)
		}
		return n.Digits == r.digits
	}
	scheme, rest, _ := strings.Cut(n.Text, ":")
	if scheme != r.scheme {
		return false
	}
	switch n.Kind {
	case SIPIdentity:
		at := strings.LastIndexByte(rest, '@')
		return at >= 0 && glob(r.user, rest[:at], false) && glob(r.host, rest[at+1:], false)
	case IMPS:
		return glob(r.user, rest, true)
	}
	return false
}

// Glob reports whether s matches pattern, in which '*' stands for any run
// of bytes (the wildcard of rules, also used to search traffic).
func Glob(pattern, s string) bool { return glob(pattern, s, false) }

// glob reports whether s matches pattern, in which '*' stands for any run
// of bytes; fold compares ASCII letters without case.
func glob(pattern, s string, fold bool) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && sameByte(pattern[p], s[i], fold):
			p++
			i++
		case star >= 0:
			mark++
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func sameByte(a, b byte, fold bool) bool {
	if a == b {
		return true
	}
	return fold && isAlpha(a) && a|0x20 == b|0x20
}
