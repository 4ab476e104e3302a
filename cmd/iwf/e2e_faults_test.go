package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/sim/smsc"
)

// loadRun sends n text MESSAGEs at rate per second and returns the call
// numbers iwf accepted (202).
func (e *e2e) loadRun(n, rate int) map[int]bool {
	e.t.Helper()
	accepted, out, err := e.runUAC("cpm_uac_text.xml", "SEQUENTIAL\n+447700900123;load\n", n, rate, "u1")
	if err != nil && len(accepted) == n {
		e.t.Logf("SIPp: %v\n%s", err, out)
	}
	return accepted
}

// checkDelivered waits until every accepted message reached the SMSC and
// returns how many reached it more than once (at-least-once repeats).
func (e *e2e) checkDelivered(accepted map[int]bool, timeout time.Duration) (repeats int) {
	e.t.Helper()
	missing := func() []int {
		var m []int
		for n := range accepted {
			if e.seenCount(fmt.Sprintf("load #%d", n)) == 0 {
				m = append(m, n)
			}
		}
		return m
	}
	deadline := time.Now().Add(timeout)
	for m := missing(); len(m) > 0; m = missing() {
		if time.Now().After(deadline) {
			e.t.Fatalf("%d of %d accepted messages never reached the SMSC (e.g. %v)\niwf log:\n%s",
				len(m), len(accepted), m[:min(len(m), 10)], tail(e.logText(), 40))
		}
		time.Sleep(50 * time.Millisecond)
	}
	for n := range accepted {
		if c := e.seenCount(fmt.Sprintf("load #%d", n)); c > 1 {
			repeats += c - 1
		}
	}
	return repeats
}

// TestE2ESMSCFaults: whatever the SMSC does, every message iwf accepted
// reaches it; repeats come only from submits whose resp was lost.
func TestE2ESMSCFaults(t *testing.T) {
	requireTool(t, "sipp", "sip-tester")
	const n, window = 400, 32
	cases := []struct {
		name   string
		before func(*smsc.SMSC)
		during func(*smsc.SMSC)
		after  func(*smsc.SMSC)
		// maxRepeats bounds the repeats: only an unacknowledged window can
		// be sent twice.
		maxRepeats int
	}{
		{name: "drops the link every 50 submits", before: func(s *smsc.SMSC) { s.DropAfter(50) },
			after: func(s *smsc.SMSC) { s.DropAfter(0) }, maxRepeats: window * (n/50 + 1)},
		{name: "throttles 20% of submits", before: func(s *smsc.SMSC) { s.Throttle(0.2) },
			after: func(s *smsc.SMSC) { s.Throttle(0) }},
		{name: "answers slowly", before: func(s *smsc.SMSC) { s.SetDelay(300 * time.Millisecond) },
			after: func(s *smsc.SMSC) { s.SetDelay(0) }},
		{name: "refuses binds for a while", before: func(s *smsc.SMSC) { s.RefuseBinds(true) },
			during: func(s *smsc.SMSC) { time.Sleep(2 * time.Second); s.RefuseBinds(false) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newE2E(t, e2eOptions{window: window, before: c.before})
			done := make(chan struct{})
			if c.during != nil {
				go func() { defer close(done); c.during(e.smsc) }()
			} else {
				close(done)
			}
			accepted := e.loadRun(n, 400)
			<-done
			if len(accepted) != n {
				t.Errorf("iwf accepted %d of %d MESSAGEs", len(accepted), n)
			}
			if c.after != nil {
				c.after(e.smsc)
			}
			repeats := e.checkDelivered(accepted, 60*time.Second)
			t.Logf("%d accepted, all reached the SMSC; %d repeats; %d throttled answers", len(accepted), repeats, e.smsc.ThrottledCount())
			if repeats > c.maxRepeats {
				t.Errorf("%d repeats, want at most %d", repeats, c.maxRepeats)
			}
		})
	}
}

// TestE2ESIGKILLUnderLoad kills iwf with SIGKILL while SIPp is sending and
// restarts it: every message that got a 202 reaches the SMSC.
func TestE2ESIGKILLUnderLoad(t *testing.T) {
	requireTool(t, "sipp", "sip-tester")
	e := newE2E(t, e2eOptions{smsc: smsc.Config{}})
	type result struct{ accepted map[int]bool }
	res := make(chan result, 1)
	go func() { res <- result{e.loadRun(1200, 300)} }()
	time.Sleep(1500 * time.Millisecond)
	e.kill9()
	killedAt := e.smsc.SubmitCount()
	time.Sleep(500 * time.Millisecond)
	e.start()
	r := <-res
	if len(r.accepted) < 100 {
		t.Fatalf("only %d MESSAGEs accepted", len(r.accepted))
	}
	repeats := e.checkDelivered(r.accepted, 60*time.Second)
	t.Logf("%d of 1200 accepted across a SIGKILL (at %d submits); all reached the SMSC; %d repeats", len(r.accepted), killedAt, repeats)
}
