package sip

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// timerConfig is a session Config with a 2-second session interval: iwf
// refreshes after 1s, and gives up on a peer's refresh after 1.33s.
func timerConfig() Config {
	cfg := sessionConfig()
	cfg.SessionExpires = 2 * time.Second
	cfg.MinSessionExpires = time.Second
	return cfg
}

// TestSessionTimerIwfRefreshes: the answer makes iwf (the UAC) the
// refresher; iwf sends re-INVITEs carrying its SDP unchanged and
// Session-Expires with refresher=uac, and ACKs each 2xx.
func TestSessionTimerIwfRefreshes(t *testing.T) {
	leaks(t)
	f := startFakeUAS(t, "2;refresher=uac")
	cfg := timerConfig()
	cfg.OutboundProxy = f.proxy()
	a := startSessions(t, cfg, nil)
	out, err := a.OpenSession(sendCtx(t), largeMessage())
	if err != nil {
		t.Fatal(err)
	}
	inv := f.next(sip.INVITE)
	if header(inv, "Session-Expires") != "2" || header(inv, "Min-SE") != "1" {
		t.Fatalf("INVITE asks SE %q Min-SE %q", header(inv, "Session-Expires"), header(inv, "Min-SE"))
	}
	for seq := uint32(2); seq <= 3; seq++ {
		re := f.next(sip.INVITE)
		if re.CSeq().SeqNo != seq || header(re, "Session-Expires") != "2;refresher=uac" ||
			string(re.Body()) != string(inv.Body()) || !re.To().Params.Has("tag") {
			t.Fatalf("refresh %d: CSeq %d, SE %q, same SDP %v", seq, re.CSeq().SeqNo, header(re, "Session-Expires"), string(re.Body()) == string(inv.Body()))
		}
		if ack := f.next(sip.ACK); ack.CSeq().SeqNo != seq {
			t.Fatalf("ACK CSeq %d after refresh %d", ack.CSeq().SeqNo, seq)
		}
	}
	if out.Err() != nil {
		t.Fatalf("session ended: %v", out.Err())
	}
	out.Close(sendCtx(t))
}

// TestSessionTimerPeerMissesRefresh: the answer makes the peer the
// refresher and it never refreshes; iwf sends BYE and the session ends
// with ErrSessionExpired.
func TestSessionTimerPeerMissesRefresh(t *testing.T) {
	leaks(t)
	f := startFakeUAS(t, "2;refresher=uas")
	cfg := timerConfig()
	cfg.OutboundProxy = f.proxy()
	a := startSessions(t, cfg, nil)
	out, err := a.OpenSession(sendCtx(t), largeMessage())
	if err != nil {
		t.Fatal(err)
	}
	f.next(sip.BYE)
	if err := waitDone(t, out.Done(), out.Err); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("session ended with %v", err)
	}
}

// TestSessionTimerUASExpiry: an incoming session whose UAC is the
// refresher and does not refresh is ended by iwf with BYE; a refresh
// before that keeps it (the re-INVITE is answered with the interval).
func TestSessionTimerUASExpiry(t *testing.T) {
	leaks(t)
	acc := newAcceptor()
	e := startSessions(t, timerConfig(), acc.handle)
	u := newRawUA(t, e, "expiry-1")
	res := u.invite([]string{"Supported: timer", "Session-Expires: 2;refresher=uac"}, "application/sdp", offer(peerPath, "active", "sendrecv"))
	if res.code != 200 || res.header("Session-Expires") != "2;refresher=uac" || res.header("Require") != "timer" {
		t.Fatalf("answered %d, SE %q", res.code, res.header("Session-Expires"))
	}
	in := acc.nextSession(t)
	re := u.inDialog("UPDATE", []string{"Supported: timer", "Session-Expires: 2;refresher=uac"}, "", "")
	if re.code != 200 || re.header("Session-Expires") != "2;refresher=uac" {
		t.Fatalf("refresh answered %d, SE %q", re.code, re.header("Session-Expires"))
	}
	bye := u.nextRequest()
	if bye.method != "BYE" {
		t.Fatalf("iwf sent %s", bye.start)
	}
	u.respond(bye, 200)
	if err := waitDone(t, in.Done(), in.Err); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("session ended with %v", err)
	}
}

// TestSessionTimerUASRefreshes: a UAC without timer support leaves the
// refreshing to iwf (refresher=uas, no Require); iwf re-INVITEs the
// peer's Contact and ACKs the 2xx.
func TestSessionTimerUASRefreshes(t *testing.T) {
	leaks(t)
	acc := newAcceptor()
	e := startSessions(t, timerConfig(), acc.handle)
	u := newRawUA(t, e, "uasrefresh-1")
	res := u.invite(nil, "application/sdp", offer(peerPath, "active", "sendrecv"))
	if res.code != 200 || res.header("Session-Expires") != "2;refresher=uas" || res.header("Require") != "" {
		t.Fatalf("answered %d, SE %q, Require %q", res.code, res.header("Session-Expires"), res.header("Require"))
	}
	acc.nextSession(t)
	re := u.nextRequest()
	if re.method != "INVITE" || re.header("Session-Expires") != "2;refresher=uac" || string(re.body) != string(res.body) ||
		!strings.HasPrefix(re.start, "INVITE sip:peer@"+u.contact()) {
		t.Fatalf("iwf sent %s", re.raw)
	}
	u.respond(re, 200, "Session-Expires: 2;refresher=uac")
	if ack := u.nextRequest(); ack.method != "ACK" || !strings.HasSuffix(ack.header("CSeq"), " ACK") ||
		strings.TrimSuffix(ack.header("CSeq"), " ACK") != strings.TrimSuffix(re.header("CSeq"), " INVITE") {
		t.Fatalf("after the 200 iwf sent %s", ack.raw)
	}
	if res := u.inDialog("BYE", nil, "", ""); res.code != 200 {
		t.Fatalf("BYE answered %d", res.code)
	}
}

func TestParseSessionExpires(t *testing.T) {
	for v, want := range map[string]struct {
		secs      int
		refresher string
		ok        bool
	}{
		"1800": {1800, "", true}, "90;refresher=uac": {90, "uac", true}, " 120 ; Refresher=UAS ": {120, "uas", true},
		"4000;x=1;refresher=uas": {4000, "uas", true}, "99999999": {86400, "", true},
		"": {}, "abc": {}, "-5": {}, "+5": {}, "60;refresher=both": {},
	} {
		d, r, err := parseSessionExpires(v)
		if (err == nil) != want.ok || err == nil && (d != time.Duration(want.secs)*time.Second || r != want.refresher) {
			t.Errorf("%q: %v %q %v", v, d, r, err)
		}
	}
}

// FuzzParseSessionExpires checks that a value that parses renders to
// one that parses to the same interval and refresher.
func FuzzParseSessionExpires(f *testing.F) {
	for _, s := range []string{"1800", "90;refresher=uac", "120;refresher=uas;x=y", " 7 ", "0", "1;refresher=", "a;b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, r, err := parseSessionExpires(v)
		if err != nil {
			return
		}
		if d < 0 || d > maxSessionExpires || r != "" && r != "uac" && r != "uas" {
			t.Fatalf("%q: %v %q", v, d, r)
		}
		again := itoa(int(d / time.Second))
		if r != "" {
			again += ";refresher=" + r
		}
		d2, r2, err := parseSessionExpires(again)
		if err != nil || d2 != d || r2 != r {
			t.Fatalf("%q -> %q: %v %q %v", v, again, d2, r2, err)
		}
	})
}
