package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/adapters/sip/mediasession"
)

// smokeMSRPOptions is a tiny `iwf bench msrp` against the real iwf binary.
func smokeMSRPOptions() benchMSRPOptions {
	return benchMSRPOptions{
		Files: 3, Size: 64 << 10, ChunkSize: 2048, Concurrency: 2, IdleSessions: 5, Clients: 2,
		NoSync: true, Binary: iwfBinary, DrainTimeout: 20 * time.Second, SessionTimeout: 60 * time.Second,
	}
}

// TestBenchMSRPSmoke sends three files over MSRP through iwf to the MM7
// relay, each arriving once and intact, then holds five chat sessions
// with SMS users open and closes them, all ending on both sides. It
// asserts counts, not timings or memory.
func TestBenchMSRPSmoke(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	res, err := runBenchMSRP(ctx, smokeMSRPOptions(), &progress)
	if err != nil {
		t.Fatalf("runBenchMSRP: %v\n%s", err, progress.String())
	}
	f := res.Files
	if f.Delivered != 3 || f.Refused.total() != 0 || f.ByeFailed != 0 {
		t.Errorf("files: %d delivered, refused%s, %d BYEs failed; want 3 delivered", f.Delivered, f.Refused.String(), f.ByeFailed)
	}
	if c := f.Check; c.Unique != 3 || c.Lost != 0 || c.Repeats != 0 || c.Unexpected != 0 || f.Damaged != 0 ||
		f.Others != 0 || f.Arrivals != 3 || !f.AllArrived {
		t.Errorf("relay: %+v, %d damaged, %d others, %d arrivals, all arrived %v; want 3 intact files once each",
			c, f.Damaged, f.Others, f.Arrivals, f.AllArrived)
	}
	if f.P50 <= 0 || f.P99 < f.P50 || f.Max < f.P99 {
		t.Errorf("latency p50 %v, p99 %v, max %v: want 0 < p50 <= p99 <= max", f.P50, f.P99, f.Max)
	}
	i := res.Idle
	if i.Opened != 5 || i.Refused.total() != 0 || i.EndedIdle != 0 || i.Closed != 5 || i.EndedOver != 5 {
		t.Errorf("idle: %d open, refused%s, %d ended while idle, %d closed, %d over; want 5 open, then 5 closed and over",
			i.Opened, i.Refused.String(), i.EndedIdle, i.Closed, i.EndedOver)
	}
	if i.LiveOpen != 5 || i.LiveAfter != 0 {
		t.Errorf("iwf's live chat sessions %d with all open, %d after; want 5, then 0", i.LiveOpen, i.LiveAfter)
	}
	if i.Before.Anon <= 0 || i.After.RSS <= 0 {
		t.Errorf("memory samples %+v -> %+v: want them read from /proc", i.Before, i.After)
	}
	var out strings.Builder
	if err := res.print(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"3 delivered (MSRP 200 and success report), 0 refused, 0 BYEs not answered 2xx",
		"3 unique, 0 repeats, 0 lost", "0 files damaged",
		"5 open, 0 refused", "0 ended while idle; 5 closed with BYE answered 2xx, 5 over; iwf's live chat sessions 5 -> 0",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestBenchMSRPOptions refuses options the benchmark cannot run, before
// it starts anything.
func TestBenchMSRPOptions(t *testing.T) {
	for name, change := range map[string]func(*benchMSRPOptions){
		"nothing to do":    func(o *benchMSRPOptions) { o.Files, o.IdleSessions = 0, 0 },
		"negative files":   func(o *benchMSRPOptions) { o.Files = -1 },
		"empty file":       func(o *benchMSRPOptions) { o.Size = 0 },
		"file over 16 MiB": func(o *benchMSRPOptions) { o.Size = 16<<20 + 1 },
		"chunk over 1 MiB": func(o *benchMSRPOptions) { o.ChunkSize = 1<<20 + 1 },
		"no concurrency":   func(o *benchMSRPOptions) { o.Concurrency = 0 },
		"no clients":       func(o *benchMSRPOptions) { o.Clients = 0 },
		"too many clients": func(o *benchMSRPOptions) { o.Clients = maxBenchClients + 1 },
		"too many idle":    func(o *benchMSRPOptions) { o.IdleSessions = maxIdleSessions + 1 },
		"no drain timeout": func(o *benchMSRPOptions) { o.DrainTimeout = 0 },
	} {
		o := smokeMSRPOptions()
		change(&o)
		if _, err := runBenchMSRP(context.Background(), o, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestBenchMSRPCommand: `iwf bench msrp` is registered with a 1,000,000
// byte file by default, the largest "1 MB" the journal takes.
func TestBenchMSRPCommand(t *testing.T) {
	cmd, _, err := newBenchCmd().Find([]string{"msrp"})
	if err != nil || cmd.Name() != "msrp" {
		t.Fatalf("bench msrp not found: %v", err)
	}
	for flag, want := range map[string]string{"size": "1000000", "files": "200", "idle-sessions": "1000", "concurrency": "8"} {
		if f := cmd.Flags().Lookup(flag); f == nil || f.DefValue != want {
			t.Errorf("--%s: %+v; want default %s", flag, f, want)
		}
	}
}

// TestBenchFilePart finds the bench file by its Content-Location, also
// inside a multipart, and ignores other runs' files and other parts.
func TestBenchFilePart(t *testing.T) {
	parts := []mm7.Part{
		{ContentType: "text/plain", Body: []byte("hello")},
		{ContentType: "image/jpeg", ContentLocation: "bench-OTHER-7.jpg"},
		{ContentType: "multipart/related", Parts: []mm7.Part{
			{ContentType: "image/jpeg", ContentLocation: "bench-RUN-x.jpg"},
			{ContentType: "image/jpeg", ContentLocation: "bench-RUN-42.jpg", Body: []byte("file")},
		}},
	}
	n, p, ok := benchFilePart(parts, "bench-RUN-")
	if !ok || n != 42 || string(p.Body) != "file" {
		t.Errorf("benchFilePart = %d, %+v, %v; want 42 and its part", n, p, ok)
	}
	if _, _, ok := benchFilePart(parts[:2], "bench-RUN-"); ok {
		t.Error("found a file of another run")
	}
}

// TestAnswerText shows a refused INVITE by its SIP status and a refused
// file by its MSRP status without the message id, so equal answers add
// up in the report.
func TestAnswerText(t *testing.T) {
	var tally answerTally
	for _, id := range []string{"m1", "m2"} {
		tally.note(&sip.MediaError{Err: &mediasession.SendError{MessageID: id, Code: 413, Comment: "too large"}})
	}
	tally.note(fmt.Errorf("open: %w", &sip.StatusError{Code: 488, Reason: "Not Acceptable Here"}))
	want := ` ("MSRP 413 Stop sending message (too large)" x2, "SIP 488 Not Acceptable Here" x1)`
	if got := tally.String(); got != want || tally.total() != 3 {
		t.Errorf("tally = %s (%d); want %s (3)", got, tally.total(), want)
	}
}
