package sip

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Session timers (RFC 4028). The side named refresher sends a re-INVITE
// or UPDATE carrying Session-Expires before the interval passes; iwf
// refreshes with re-INVITE at half the interval, and when the peer is
// the refresher and no refresh comes, iwf sends BYE shortly before the
// interval ends (section 10: interval minus the lesser of 32 seconds and
// a third of it).

// refreshPolicy is the session timer agreed on: the interval, 0 when
// the session has none, and whether iwf sends the refreshes.
type refreshPolicy struct {
	interval  time.Duration
	refresher bool
}

// refreshAfter is when iwf refreshes, as refresher.
func (p refreshPolicy) refreshAfter() time.Duration { return p.interval / 2 }

// expireAfter is when iwf gives up on a peer that should refresh.
func (p refreshPolicy) expireAfter() time.Duration {
	return p.interval - min(32*time.Second, p.interval/3)
}

// timerAnswer is iwf's answer, as UAS of a request that may carry
// Session-Expires (an INVITE, a re-INVITE or an UPDATE).
type timerAnswer struct {
	policy  refreshPolicy
	header  string // Session-Expires value for the 2xx
	require bool   // the peer supports timers: the 2xx says Require: timer
}

// errIntervalTooSmall marks a request whose Session-Expires is below
// iwf's Min-SE; it is answered 422 with Min-SE.
var errIntervalTooSmall = errors.New("session interval too small")

// answerTimer decides the session timer for req (RFC 4028 section 9):
// the interval asked for, lowered to Config.SessionExpires but not below
// the request's Min-SE; with none asked for, Config.SessionExpires. The
// refresher is the one the request names; else the peer when it
// supports timers, else iwf.
func (e *Endpoint) answerTimer(req *sip.Request) (timerAnswer, error) {
	se, refresher, hasSE, err := sessionExpiresOf(req)
	if err != nil {
		return timerAnswer{}, err
	}
	minSE, err := minSEOf(req)
	if err != nil {
		return timerAnswer{}, err
	}
	if hasSE && se < e.cfg.MinSessionExpires {
		return timerAnswer{}, errIntervalTooSmall
	}
	interval := e.cfg.SessionExpires
	if hasSE && se < interval {
		interval = se
	}
	interval = max(interval, minSE)
	supported := hasOption(req, "Supported", "k", "timer") || hasOption(req, "Require", "", "timer")
	if refresher == "" {
		refresher = "uas"
		if supported {
			refresher = "uac"
		}
	}
	a := timerAnswer{
		policy:  refreshPolicy{interval: interval, refresher: refresher == "uas"},
		header:  strconv.Itoa(int(interval/time.Second)) + ";refresher=" + refresher,
		require: supported,
	}
	return a, nil
}

// headers are the session timer headers of iwf's 2xx.
func (a timerAnswer) headers() []sip.Header {
	hs := []sip.Header{sip.NewHeader("Session-Expires", a.header)}
	if a.require {
		hs = append(hs, sip.NewHeader("Require", "timer"))
	}
	return hs
}

// policyFromResponse is the session timer a 2xx to iwf's INVITE or
// re-INVITE sets (RFC 4028 section 7.2): none without Session-Expires;
// iwf refreshes when the refresher is uac or not named.
func policyFromResponse(res *sip.Response) refreshPolicy {
	h := res.GetHeader("Session-Expires")
	if h == nil {
		h = res.GetHeader("x")
	}
	if h == nil {
		return refreshPolicy{}
	}
	se, refresher, err := parseSessionExpires(h.Value())
	if err != nil || se <= 0 {
		return refreshPolicy{}
	}
	return refreshPolicy{interval: se, refresher: refresher != "uas"}
}

// timerRequestHeaders ask for iwf's interval in an INVITE or a refresh.
func (e *Endpoint) timerRequestHeaders(interval time.Duration, refresher string) []sip.Header {
	se := strconv.Itoa(int(interval / time.Second))
	if refresher != "" {
		se += ";refresher=" + refresher
	}
	return []sip.Header{
		sip.NewHeader("Supported", "timer"),
		sip.NewHeader("Session-Expires", se),
		sip.NewHeader("Min-SE", strconv.Itoa(int(e.cfg.MinSessionExpires/time.Second))),
	}
}

// sessionExpiresOf reads the Session-Expires header (compact form x).
func sessionExpiresOf(req *sip.Request) (time.Duration, string, bool, error) {
	h := req.GetHeader("Session-Expires")
	if h == nil {
		h = req.GetHeader("x")
	}
	if h == nil {
		return 0, "", false, nil
	}
	se, refresher, err := parseSessionExpires(h.Value())
	return se, refresher, true, err
}

// parseSessionExpires parses "1800;refresher=uac" (RFC 4028 section 4).
func parseSessionExpires(v string) (time.Duration, string, error) {
	parts := strings.Split(v, ";")
	secs, err := parseDeltaSeconds(parts[0])
	if err != nil {
		return 0, "", fmt.Errorf("Session-Expires %q: %w", v, err)
	}
	refresher := ""
	for _, p := range parts[1:] {
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(name), "refresher") {
			refresher = strings.ToLower(strings.TrimSpace(value))
			if refresher != "uac" && refresher != "uas" {
				return 0, "", fmt.Errorf("Session-Expires %q: refresher is not uac or uas", v)
			}
		}
	}
	return secs, refresher, nil
}

// minSEOf reads the Min-SE header; 0 when absent.
func minSEOf(req *sip.Request) (time.Duration, error) {
	h := req.GetHeader("Min-SE")
	if h == nil {
		return 0, nil
	}
	v, _, _ := strings.Cut(h.Value(), ";")
	secs, err := parseDeltaSeconds(v)
	if err != nil {
		return 0, fmt.Errorf("Min-SE %q: %w", h.Value(), err)
	}
	return secs, nil
}

// parseDeltaSeconds parses 1*DIGIT, at most one day's worth.
func parseDeltaSeconds(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || s == "" || s[0] == '+' {
		return 0, errors.New("not delta-seconds")
	}
	if time.Duration(n)*time.Second > maxSessionExpires {
		return maxSessionExpires, nil
	}
	return time.Duration(n) * time.Second, nil
}

// hasOption reports whether an option-tag list header (Supported,
// Require; compact name when not "") names tag.
func hasOption(req *sip.Request, name, compact, tag string) bool {
	return containsFold(optionTags(req, name, compact), tag)
}

// optionTags lists the option tags of every name header.
func optionTags(req *sip.Request, name, compact string) []string {
	var tags []string
	hs := req.GetHeaders(name)
	if compact != "" {
		hs = append(hs, req.GetHeaders(compact)...)
	}
	for _, h := range hs {
		for _, t := range strings.Split(h.Value(), ",") {
			if t = strings.TrimSpace(t); t != "" {
				tags = append(tags, t)
			}
		}
	}
	return tags
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
