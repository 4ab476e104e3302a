package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
)

// TestBenchSMSSmoke runs a small benchmark against the real iwf binary and
// checks what it counts: every message accepted, each reaching the SMSC
// exactly once. It asserts no timings.
func TestBenchSMSSmoke(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var progress bytes.Buffer
	const count = 2000
	res, err := runBenchSMS(ctx, benchSMSOptions{
		Count: count, Outstanding: 64, Sockets: 2, NoSync: true, Binds: 2, Window: 64,
		Binary: iwfBinary, DrainTimeout: 20 * time.Second, Timeout: 32 * time.Second,
	}, &progress)
	if err != nil {
		t.Fatalf("runBenchSMS: %v\n%s", err, progress.String())
	}
	l, c := res.Load, res.Check
	if l.Sent != count || l.Accepted != count || l.Unanswered != 0 || len(l.Refused) != 0 {
		t.Errorf("load: sent %d, accepted %d, unanswered %d, refused %v; want all %d accepted",
			l.Sent, l.Accepted, l.Unanswered, l.Refused, count)
	}
	if c.Unique != count || c.Lost != 0 || c.Repeats != 0 || c.Unexpected != 0 {
		t.Errorf("smsc: %+v; want %d unique, none lost, repeated or unexpected", c, count)
	}
	if res.Submits != count {
		t.Errorf("smsc counted %d submits, want %d", res.Submits, count)
	}
	var out strings.Builder
	if err := res.print(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2000 sent, 2000 accepted (202), 0 refused, 0 unanswered", "2000 unique, 0 repeats, 0 lost"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestParseBenchResponse reads the status and message number of responses
// as sipgo writes them, and ignores other runs' and malformed ones.
func TestParseBenchResponse(t *testing.T) {
	resp := "SIP/2.0 202 Accepted\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bKx\r\n" +
		"Call-ID: 1234.RUN@bench\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n"
	for _, tc := range []struct {
		in        string
		code, n   int
		ok        bool
		runID     string
		countUpTo int
	}{
		{resp, 202, 1234, true, "RUN", 2000},
		{strings.Replace(resp, "Call-ID: ", "i:", 1), 202, 1234, true, "RUN", 2000},
		{strings.Replace(resp, "202 Accepted", "503 Service Unavailable", 1), 503, 1234, true, "RUN", 2000},
		{resp, 0, 0, false, "OTHER", 2000},
		{resp, 0, 0, false, "RUN", 1000},
		{"MESSAGE sip:x SIP/2.0\r\n\r\n", 0, 0, false, "RUN", 2000},
		{"SIP/2.0 2", 0, 0, false, "RUN", 2000},
	} {
		code, n, ok := parseBenchResponse([]byte(tc.in), tc.runID, tc.countUpTo)
		if code != tc.code || n != tc.n || ok != tc.ok {
			t.Errorf("parseBenchResponse(%.30q, %s, %d) = %d, %d, %v; want %d, %d, %v",
				tc.in, tc.runID, tc.countUpTo, code, n, ok, tc.code, tc.n, tc.ok)
		}
	}
}

// TestBenchNumber reads the number from the submit_sm forms iwf may use.
func TestBenchNumber(t *testing.T) {
	for _, tc := range []struct {
		sm   smpp.ShortMessage
		n    int
		want bool
	}{
		{smpp.ShortMessage{Message: []byte("bench 42")}, 42, true},
		{smpp.ShortMessage{TLVs: []smpp.TLV{{Tag: smpp.TagMessagePayload, Value: []byte("bench 7")}}}, 7, true},
		{smpp.ShortMessage{DataCoding: 8, Message: []byte("\x00b\x00e\x00n\x00c\x00h\x00 \x009")}, 9, true},
		{smpp.ShortMessage{Message: []byte("hello")}, 0, false},
		{smpp.ShortMessage{Message: []byte("bench -3")}, 0, false},
	} {
		n, ok := benchNumber(&tc.sm)
		if n != tc.n || ok != tc.want {
			t.Errorf("benchNumber(%q) = %d, %v; want %d, %v", tc.sm.Message, n, ok, tc.n, tc.want)
		}
	}
}
