package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/sim/smsc"
	"github.com/iwf-gateway/iwf/translate"
)

// smsText is one message as the SMSC saw it: segments joined.
type smsText struct {
	text       string
	dataCoding uint8
	parts      int
	dest       string
}

// joinSubmitted groups what the SMSC received into whole messages.
func joinSubmitted(t *testing.T, subs []smpp.ShortMessage) []smsText {
	t.Helper()
	type key struct {
		dest string
		ref  uint16
	}
	var out []smsText
	multi := map[key][]translate.Segment{}
	for _, sm := range subs {
		seg := decodeText(t, sm)
		if seg.Total <= 1 {
			out = append(out, smsText{text: seg.Text, dataCoding: sm.DataCoding, parts: 1, dest: sm.Dest.Addr})
			continue
		}
		k := key{sm.Dest.Addr, seg.Ref}
		multi[k] = append(multi[k], seg)
	}
	for k, segs := range multi {
		sort.Slice(segs, func(i, j int) bool { return segs[i].Seq < segs[j].Seq })
		var b strings.Builder
		for i, s := range segs {
			if int(s.Seq) != i+1 || int(s.Total) != len(segs) {
				t.Errorf("message to %s ref %d: parts %d/%d out of place", k.dest, k.ref, s.Seq, s.Total)
			}
			b.WriteString(s.Text)
		}
		out = append(out, smsText{text: b.String(), dataCoding: segs[0].DataCoding, parts: len(segs), dest: k.dest})
	}
	return out
}

func findText(msgs []smsText, prefix string) (smsText, bool) {
	for _, m := range msgs {
		if strings.HasPrefix(m.text, prefix) {
			return m, true
		}
	}
	return smsText{}, false
}

// TestE2ECPMToSMSAndBack drives the real binary with SIPp on both CPM
// sides: text and CPIM MESSAGEs become SMS with the right coding and
// concatenation, receipts come back as IMDNs, and an MO SMS sent in three
// parts out of order reaches the CPM user as one MESSAGE.
func TestE2ECPMToSMSAndBack(t *testing.T) {
	requireTool(t, "sipp", "sip-tester")
	e := newE2E(t, e2eOptions{smsc: smsc.Config{KeepSubmitted: true}})
	long := strings.Repeat("Long text with € signs, ", 8) // 200 chars, extension characters
	const cpimCalls = 2
	uas := e.startUAS(cpimCalls + 1)

	accepted, out, err := e.runUAC("cpm_uac_text.xml", "SEQUENTIAL\n"+
		"+447700900123;Hello from CPM\n"+
		"+447700900124;Ünïcødé ☺ needs UCS-2\n"+
		"+447700900125;"+long+"\n", 3, 10, "u1")
	if err != nil || len(accepted) != 3 {
		t.Fatalf("text MESSAGEs over UDP: %d accepted, %v\n%s", len(accepted), err, out)
	}
	if accepted, out, err := e.runUAC("cpm_uac_text.xml", "SEQUENTIAL\n+447700900126;Over TCP\n", 1, 10, "t1"); err != nil || len(accepted) != 1 {
		t.Fatalf("text MESSAGE over TCP: %d accepted, %v\n%s", len(accepted), err, out)
	}
	if accepted, out, err := e.runUAC("cpm_uac_cpim.xml", "SEQUENTIAL\n+447700900127;CPIM with IMDN\n", cpimCalls, 10, "u1"); err != nil || len(accepted) != cpimCalls {
		t.Fatalf("CPIM MESSAGEs: %d accepted, %v\n%s", len(accepted), err, out)
	}
	e.eventually("7 submits at the SMSC", 20*time.Second, func() bool { return e.smsc.SubmitCount() >= 7 })
	msgs := joinSubmitted(t, e.smsc.Submitted())
	checks := []struct {
		prefix string
		dest   string
		dc     uint8
		parts  int
	}{
		{"Hello from CPM #", "447700900123", 0x00, 1},
		{"Ünïcødé ☺ needs UCS-2 #", "447700900124", 0x08, 1},
		{long + " #", "447700900125", 0x00, 2},
		{"Over TCP #", "447700900126", 0x00, 1},
		{"CPIM with IMDN #", "447700900127", 0x00, 1},
	}
	for _, c := range checks {
		m, ok := findText(msgs, c.prefix)
		if !ok {
			t.Errorf("SMSC never got %q; got %+v", c.prefix, msgs)
			continue
		}
		if m.dest != c.dest || m.dataCoding != c.dc || m.parts != c.parts {
			t.Errorf("%q: dest %s coding %#x parts %d; want %s %#x %d", c.prefix, m.dest, m.dataCoding, m.parts, c.dest, c.dc, c.parts)
		}
	}
	if len(msgs) != 6 {
		t.Errorf("SMSC got %d messages, want 6 (3 text, 1 TCP, 2 CPIM)", len(msgs))
	}

	// An MO SMS in three parts, sent out of order, with one part twice.
	moText := strings.Repeat("Reply from the SMS user. ", 16)
	m := cpm.Message{Parts: []cpm.Part{{ContentType: "text/plain", Body: []byte(moText)}}}
	parts, err := translate.SMSFromMessage(&m, translate.SMSRoute{
		Source: smpp.Address{Addr: "447700900123", TON: 1, NPI: 1}, Dest: smpp.Address{Addr: "447700900999", TON: 1, NPI: 1}, Reference: 42,
	})
	if err != nil || len(parts) != 3 {
		t.Fatalf("MO parts: %d, %v", len(parts), err)
	}
	for _, i := range []int{2, 0, 0, 1} {
		if err := e.smsc.InjectMO(context.Background(), parts[i]); err != nil {
			t.Fatalf("MO part %d: %v", i, err)
		}
	}

	got := uas()
	imdns := regexp.MustCompile(`<message-id>(e2e-\d+-\d+)</message-id>`).FindAllStringSubmatch(got, -1)
	if len(imdns) != cpimCalls || !strings.Contains(got, "<delivered/>") {
		t.Errorf("UAS got %d IMDNs (want %d delivered):\n%s\niwf log:\n%s", len(imdns), cpimCalls, got, e.logText())
	}
	if n := strings.Count(got, moText); n != 1 {
		t.Errorf("UAS got the MO text %d times, want once:\n%s", n, got)
	}
	if !strings.Contains(got, "sip:+447700900123@iwf.example.net;user=phone") || !strings.Contains(got, "P-Asserted-Identity: <tel:+447700900123>") {
		t.Errorf("MO MESSAGE lacks the SMS sender as From / P-Asserted-Identity:\n%s", got)
	}
	if !strings.Contains(got, `+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg"`) {
		t.Errorf("MESSAGE toward the CPM user lacks the CPM feature tag:\n%s", got)
	}
}

// TestE2ERefusals checks the SIP answers to bad input on the wire.
func TestE2ERefusals(t *testing.T) {
	requireTool(t, "sipp", "sip-tester")
	e := newE2E(t, e2eOptions{})
	// 404: no route owns a SIP identity recipient.
	_, _, err := e.runUAC("cpm_uac_text.xml", "SEQUENTIAL\nbob;no route\n", 1, 10, "u1")
	if err == nil {
		t.Error("a MESSAGE to a non-routable recipient was accepted")
	}
	if n := e.smsc.SubmitCount(); n != 0 {
		t.Errorf("SMSC got %d submits for refused input", n)
	}
}

// TestE2ESendSMSCommand runs `iwf send sms` against the running binary.
func TestE2ESendSMSCommand(t *testing.T) {
	e := newE2E(t, e2eOptions{smsc: smsc.Config{KeepSubmitted: true}})
	iwf := fmt.Sprintf("127.0.0.1:%d", e.sipPort)
	out, err := exec.Command(iwfBinary, "send", "sms", "--iwf", iwf, "--to", "tel:+447700900123", "--text", "from the CLI").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "accepted (2xx)") {
		t.Fatalf("send sms: %v\n%s", err, out)
	}
	e.eventually("the SMS at the SMSC", 10*time.Second, func() bool { return e.seenCount("from the CLI") == 1 })
	out, err = exec.Command(iwfBinary, "send", "sms", "--iwf", iwf, "--tcp", "--to", "sip:bob@elsewhere.example", "--text", "x").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "refused: 404") {
		t.Errorf("send sms to a non-routable URI: %v\n%s", err, out)
	}
}

// TestE2EDeadLetters: a message the route cannot carry is accepted, fails
// at delivery, and is kept as a dead letter that `iwf journal dead` lists.
func TestE2EDeadLetters(t *testing.T) {
	e := newE2E(t, e2eOptions{smscExtra: "    max_segments: 1\n"})
	iwf := fmt.Sprintf("127.0.0.1:%d", e.sipPort)
	long := strings.Repeat("two segments ", 20)
	if out, err := exec.Command(iwfBinary, "send", "sms", "--iwf", iwf, "--to", "tel:+447700900123", "--text", long).CombinedOutput(); err != nil {
		t.Fatalf("send sms: %v\n%s", err, out)
	}
	e.eventually("the failure", 10*time.Second, func() bool { return strings.Contains(e.logText(), "message failed") })
	e.stop()
	out, err := exec.Command(iwfBinary, "journal", "dead", "--data-dir", filepath.Join(e.dir, "data")).CombinedOutput()
	if err != nil {
		t.Fatalf("journal dead: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "failed") || !strings.Contains(string(out), "segments") || !strings.Contains(string(out), "tel:+447700900123") {
		t.Errorf("dead letter not listed:\n%s", out)
	}
	if e.smsc.SubmitCount() != 0 {
		t.Errorf("the SMSC got %d submits", e.smsc.SubmitCount())
	}
}
