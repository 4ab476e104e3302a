package main

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
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

// TestBenchSMSKafkaInstances runs a small benchmark with two iwf
// processes on one Kafka journal (three brokers in this process): every
// MESSAGE is accepted by the instance it went to, and every one reaches
// the SMSC exactly once, whichever instance owns its recipient. It
// asserts counts, never timings.
func TestBenchSMSKafkaInstances(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var progress bytes.Buffer
	const count, instances = 300, 2
	res, err := runBenchSMS(ctx, benchSMSOptions{
		Count: count, Outstanding: 16, Sockets: 2, Binds: 1, Window: 64,
		Binary: iwfBinary, DrainTimeout: 20 * time.Second, Timeout: 32 * time.Second,
		Journal: "kafka", Instances: instances,
	}, &progress)
	if err != nil {
		t.Fatalf("runBenchSMS: %v\n%s", err, progress.String())
	}
	l, c := res.Load, res.Check
	if l.Sent != count || l.Accepted != count || l.Unanswered != 0 || len(l.Refused) != 0 {
		t.Errorf("load: sent %d, accepted %d, unanswered %d, refused %v; want all %d accepted",
			l.Sent, l.Accepted, l.Unanswered, l.Refused, count)
	}
	if c.Unique != count || c.Lost != 0 || c.Repeats != 0 || c.Unexpected != 0 || res.Submits != count {
		t.Errorf("smsc: %+v, %d submits; want %d unique, none lost, repeated or unexpected", c, res.Submits, count)
	}
	k := res.Kafka
	if k == nil || len(k.Instances) != instances || k.Partitions != 12 || k.Replication != 3 {
		t.Fatalf("kafka report %+v; want %d instances, 12 partitions, replication 3", k, instances)
	}
	partitions, journaled := 0, int64(0)
	for i, in := range k.Instances {
		if in.Load.Sent != count/instances || in.Load.Accepted != count/instances {
			t.Errorf("instance %d: %+v; want %d sent and accepted", i+1, in.Load, count/instances)
		}
		if len(in.Partitions) == 0 {
			t.Errorf("instance %d owned no partition when the load began", i+1)
		}
		partitions += len(in.Partitions)
		journaled += in.Metrics[`iwf_messages_accepted_total{network="cpm"}`]
	}
	if partitions != 12 {
		t.Errorf("the instances owned %d partitions, want 12", partitions)
	}
	if journaled != count {
		t.Errorf("the instances journaled %d messages, want %d (each once, by its recipient's owner)", journaled, count)
	}
	var out strings.Builder
	if err := res.print(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"300 sent, 300 accepted (202), 0 refused, 0 unanswered", "300 unique, 0 repeats, 0 lost",
		"instance 1   150 sent, 150 accepted", "instance 2   150 sent, 150 accepted", "2 instance(s) in group bench-"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestBenchSMSOptionsJournal refuses flag combinations the Kafka journal
// and several instances do not support, and takes the defaults.
func TestBenchSMSOptionsJournal(t *testing.T) {
	base := benchSMSOptions{Count: 10, Outstanding: 1, Sockets: 1, Binds: 1, Window: 1}
	for _, tc := range []struct {
		name   string
		change func(o *benchSMSOptions)
		ok     bool
	}{
		{"defaults", func(*benchSMSOptions) {}, true},
		{"kafka, 3 instances", func(o *benchSMSOptions) { o.Journal, o.Instances = "kafka", 3 }, true},
		{"kafka with brokers", func(o *benchSMSOptions) { o.Journal, o.Brokers = "kafka", []string{"127.0.0.1:9092"} }, true},
		{"unknown journal", func(o *benchSMSOptions) { o.Journal = "bolt" }, false},
		{"instances on local", func(o *benchSMSOptions) { o.Instances = 2 }, false},
		{"brokers on local", func(o *benchSMSOptions) { o.Brokers = []string{"127.0.0.1:9092"} }, false},
		{"nosync on kafka", func(o *benchSMSOptions) { o.Journal, o.NoSync = "kafka", true }, false},
		{"backlog on instances", func(o *benchSMSOptions) { o.Journal, o.Instances, o.Backlog = "kafka", 2, true }, false},
		{"fewer partitions than instances", func(o *benchSMSOptions) { o.Journal, o.Instances, o.Partitions = "kafka", 4, 3 }, false},
		{"too many instances", func(o *benchSMSOptions) { o.Journal, o.Instances = "kafka", maxBenchInstances+1 }, false},
		{"too many recipients", func(o *benchSMSOptions) { o.Recipients = maxBenchRecipients + 1 }, false},
	} {
		o := base
		tc.change(&o)
		o = o.withDefaults()
		if err := o.validate(); (err == nil) != tc.ok {
			t.Errorf("%s: validate() = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
	if o := base.withDefaults(); o.Journal != "local" || o.Instances != 1 || o.Recipients != 1 || o.Partitions != 12 {
		t.Errorf("defaults: %+v", o)
	}
}

// TestLoadGenSpreadsOverTargets sends to two SIP targets that answer 202:
// message n goes to target n mod 2, each target over its own sockets, and
// the per-target counts add up.
func TestLoadGenSpreadsOverTargets(t *testing.T) {
	const count = 101
	var targets []*net.UDPAddr
	var received []func() []int
	for range 2 {
		addr, numbers := startAnsweringTarget(t)
		targets = append(targets, addr)
		received = append(received, numbers)
	}
	lg := newLoadGen(loadGenConfig{Targets: targets, Count: count, Outstanding: 5, Sockets: 3,
		T1: 500 * time.Millisecond, T2: 4 * time.Second, Timeout: 10 * time.Second, RunID: "SPREAD",
		Message: smsLoadMessageTo(7)})
	if lg.cfg.Sockets != 4 {
		t.Errorf("sockets %d, want 3 rounded up to 4", lg.cfg.Sockets)
	}
	if c0, c1 := cap(lg.tokens[0]), cap(lg.tokens[1]); c0 != 3 || c1 != 2 {
		t.Errorf("outstanding shares %d and %d, want 3 and 2", c0, c1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := lg.Run(ctx); err != nil {
		t.Fatal(err)
	}
	st := lg.stats()
	if st.Sent != count || st.Accepted != count || len(st.PerTarget) != 2 {
		t.Fatalf("stats %+v; want %d sent and accepted over 2 targets", st, count)
	}
	for i, want := range []int{51, 50} {
		if ts := st.PerTarget[i]; ts.Sent != want || ts.Accepted != want || ts.Refused != 0 || ts.Unanswered != 0 {
			t.Errorf("target %d: %+v; want %d sent and accepted", i, ts, want)
		}
		seen := map[int]bool{}
		for _, n := range received[i]() {
			if n%2 != i {
				t.Errorf("message %d reached target %d", n, i)
			}
			seen[n] = true
		}
		if len(seen) != want {
			t.Errorf("target %d received %d distinct messages, want %d", i, len(seen), want)
		}
	}
}

// startAnsweringTarget is a UDP SIP target on 127.0.0.1 that answers
// every MESSAGE 202 and notes its message number (read from the Call-ID).
// received stops the target and returns the numbers, repeats included.
func startAnsweringTarget(t *testing.T) (addr *net.UDPAddr, received func() []int) {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var numbers []int
	done := make(chan struct{})
	stop := sync.OnceFunc(func() { c.Close(); <-done })
	t.Cleanup(stop)
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			k, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			req := string(buf[:k])
			var via, callID string
			for _, line := range strings.Split(req, "\r\n") {
				if v, ok := strings.CutPrefix(line, "Via: "); ok {
					via = v
				}
				if v, ok := strings.CutPrefix(line, "Call-ID: "); ok {
					callID = v
				}
			}
			if n, _, ok := strings.Cut(callID, "."); ok {
				if v, err := strconv.Atoi(n); err == nil {
					numbers = append(numbers, v)
				}
			}
			resp := "SIP/2.0 202 Accepted\r\nVia: " + via + "\r\nCall-ID: " + callID + "\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n"
			_, _ = c.WriteTo([]byte(resp), from)
		}
	}()
	return c.LocalAddr().(*net.UDPAddr), func() []int { stop(); return numbers }
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
