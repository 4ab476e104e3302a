package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/cpm"
)

// smokeOptions are small peer benchmark runs against the real iwf binary.
func smokeOptions(count int) peerBenchOptions {
	return peerBenchOptions{
		Count: count, Outstanding: 16, Sockets: 2, NoSync: true, Binary: iwfBinary,
		DrainTimeout: 20 * time.Second, Timeout: 32 * time.Second,
	}
}

// checkPeerRun asserts that every message was accepted and reached the
// peer exactly once, and that the report says so. It asserts no timings.
func checkPeerRun(t *testing.T, res *peerBenchResult, count int, want ...string) {
	t.Helper()
	l, c := res.Load, res.Check
	if l.Sent != count || l.Accepted != count || l.Unanswered != 0 || len(l.Refused) != 0 || l.LostConns != 0 {
		t.Errorf("load: sent %d, accepted %d, unanswered %d, refused %v, lost connections %d; want all %d accepted",
			l.Sent, l.Accepted, l.Unanswered, l.Refused, l.LostConns, count)
	}
	if c.Unique != count || c.Lost != 0 || c.Repeats != 0 || c.Unexpected != 0 || res.Arrivals != count || !res.AllArrived {
		t.Errorf("peer: %+v, %d arrivals, all arrived %v; want %d unique, none lost, repeated or unexpected",
			c, res.Arrivals, res.AllArrived, count)
	}
	if res.E2EP50 <= 0 || res.E2EP99 < res.E2EP50 || res.E2EMax < res.E2EP99 {
		t.Errorf("end-to-end p50 %v, p99 %v, max %v: want 0 < p50 <= p99 <= max", res.E2EP50, res.E2EP99, res.E2EMax)
	}
	var out strings.Builder
	if err := res.print(&out); err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		if !strings.Contains(out.String(), w) {
			t.Errorf("report lacks %q:\n%s", w, out.String())
		}
	}
}

// runSmoke runs one small peer benchmark, failing the test on an error.
func runSmoke(t *testing.T, run func(ctx context.Context, log io.Writer) (*peerBenchResult, error)) *peerBenchResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var progress bytes.Buffer
	res, err := run(ctx, &progress)
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	return res
}

// TestBenchMMSSmoke sends 100 KB picture messages over SIP TCP through iwf
// to the MM7 relay: each arrives once with its image intact.
func TestBenchMMSSmoke(t *testing.T) {
	const count = 60
	res := runSmoke(t, func(ctx context.Context, log io.Writer) (*peerBenchResult, error) {
		return runBenchMMS(ctx, benchMMSOptions{peerBenchOptions: smokeOptions(count), Size: 100 << 10}, log)
	})
	checkPeerRun(t, res, count, "60 sent, 60 accepted (202), 0 refused, 0 unanswered",
		"60 unique, 0 repeats, 0 lost", "0 images damaged")
}

// TestBenchIMPSSmoke sends text messages over SIP UDP through iwf to the
// IMPS server: each arrives once.
func TestBenchIMPSSmoke(t *testing.T) {
	const count = 1000
	res := runSmoke(t, func(ctx context.Context, log io.Writer) (*peerBenchResult, error) {
		return runBenchIMPS(ctx, benchIMPSOptions{peerBenchOptions: smokeOptions(count), Users: 10, Transport: "udp"}, log)
	})
	checkPeerRun(t, res, count, "1000 sent, 1000 accepted (202), 0 refused, 0 unanswered",
		"1000 unique, 0 repeats, 0 lost", "1 logins")
}

// TestBenchPeerOptions refuses options the peer benchmarks cannot run.
func TestBenchPeerOptions(t *testing.T) {
	ctx := context.Background()
	bad := smokeOptions(10)
	bad.Sockets = 0
	if _, err := runBenchIMPS(ctx, benchIMPSOptions{peerBenchOptions: bad, Users: 1, Transport: "udp"}, nil); err == nil {
		t.Error("--sockets 0 accepted")
	}
	if _, err := runBenchIMPS(ctx, benchIMPSOptions{peerBenchOptions: smokeOptions(10), Users: 1, Transport: "sctp"}, nil); err == nil {
		t.Error("--transport sctp accepted")
	}
	if _, err := runBenchMMS(ctx, benchMMSOptions{peerBenchOptions: smokeOptions(10), Size: 2 << 20}, nil); err == nil {
		t.Error("--size 2MB accepted")
	}
}

// TestMMSBenchBody decodes the bench MMS body with iwf's own CPIM codec:
// the envelope, the text and the image are what the relay is checked
// against.
func TestMMSBenchBody(t *testing.T) {
	m := newMMSBenchBody(4096, "RUN")
	var c cpm.CPIM
	if err := c.Unmarshal(m.appendBody([]byte("kept"), 42)[len("kept"):]); err != nil {
		t.Fatal(err)
	}
	msg, err := cpm.MessageFromCPIM(&c)
	if err != nil {
		t.Fatal(err)
	}
	if msg.ID != "RUN.42" || msg.Subject != "bench 42" || msg.From != "sip:+447700900999@bench.example.net;user=phone" {
		t.Errorf("envelope: id %q, subject %q, from %q", msg.ID, msg.Subject, msg.From)
	}
	if len(msg.Parts) != 2 || string(msg.Parts[0].Body) != "bench 42" || msg.Parts[1].ContentType != "image/jpeg" ||
		msg.Parts[1].Filename != "bench.jpg" || !bytes.Equal(msg.Parts[1].Body, m.image) {
		t.Fatalf("parts: %d, %+v", len(msg.Parts), msg.Parts[0])
	}
	if img := m.image; len(img) != 4096 || !bytes.HasPrefix(img, []byte{0xFF, 0xD8, 0xFF, 0xE0}) || !bytes.HasSuffix(img, []byte{0xFF, 0xD9}) {
		t.Errorf("image: %d bytes, %x...%x", len(img), img[:4], img[len(img)-2:])
	}
	if !bytes.Equal(benchJPEG(4096), m.image) {
		t.Error("the same size gave other image bytes")
	}
}

// TestByteSize reads the --size forms.
func TestByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want byteSize
		ok   bool
	}{
		{"51200", 51200, true}, {"100KB", 100 << 10, true}, {"100k", 100 << 10, true}, {"1MB", 1 << 20, true},
		{"2 M", 2 << 20, true}, {"300B", 300, true}, {"-1", 0, false}, {"KB", 0, false}, {"1.5MB", 0, false},
		{"5000000MB", 0, false},
	} {
		var s byteSize
		err := s.Set(tc.in)
		if (err == nil) != tc.ok || (tc.ok && s != tc.want) {
			t.Errorf("Set(%q) = %d, %v; want %d, ok %v", tc.in, s, err, tc.want, tc.ok)
		}
	}
	if s := byteSize(100 << 10); s.String() != "100KB" {
		t.Errorf("String() = %q", s.String())
	}
}

// TestContentLength reads the framing header of SIP over TCP.
func TestContentLength(t *testing.T) {
	for _, tc := range []struct {
		line string
		n    int
		ok   bool
	}{
		{"Content-Length: 12\r\n", 12, true}, {"content-length:0\r\n", 0, true}, {"l: 7\r\n", 7, true},
		{"Content-Type: text/plain\r\n", 0, false}, {"Content-Length: -3\r\n", 0, false}, {"Content-Length: x\r\n", 0, false},
	} {
		n, ok := contentLength([]byte(tc.line))
		if n != tc.n || ok != tc.ok {
			t.Errorf("contentLength(%q) = %d, %v; want %d, %v", tc.line, n, ok, tc.n, tc.ok)
		}
	}
}
