package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/gateway"
	"github.com/iwf-gateway/iwf/sim/smsc"
	"github.com/iwf-gateway/iwf/translate"
)

const fakeToken = "s3cret-console-token"

// replayCall is one POST /api/replay the fake console received.
type replayCall struct {
	at    time.Time
	seqs  int
	route string
}

// fakeConsole implements the console's admin API contract (GET
// /api/entries, POST /api/replay, bearer auth) over the fixture's running
// gateway, and records the replay calls.
type fakeConsole struct {
	f   *journalFixture
	srv *httptest.Server

	mu    sync.Mutex
	calls []replayCall
}

func newFakeConsole(t *testing.T, f *journalFixture) *fakeConsole {
	c := &fakeConsole{f: f}
	c.srv = httptest.NewServer(c)
	t.Cleanup(c.srv.Close)
	return c
}

func (c *fakeConsole) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+fakeToken {
		writeFakeJSON(w, http.StatusUnauthorized, map[string]string{"error": "console: authentication required"})
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/entries":
		c.entries(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/api/replay":
		c.replay(w, r)
	default:
		writeFakeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
	}
}

func (c *fakeConsole) entries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	st, err := parseState(q.Get("state"))
	after, aerr := strconv.ParseUint(q.Get("after"), 10, 64)
	limit, lerr := strconv.Atoi(q.Get("limit"))
	if err != nil || aerr != nil || lerr != nil || limit < 1 || limit > 1000 {
		writeFakeJSON(w, http.StatusBadRequest, map[string]string{"error": "console: bad query"})
		return
	}
	views, err := c.f.g.Entries(r.Context(), st, after, limit)
	if err != nil {
		writeFakeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	if views == nil {
		views = []gateway.EntryView{}
	}
	writeFakeJSON(w, http.StatusOK, views)
}

func (c *fakeConsole) replay(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	var req struct {
		Seqs  []uint64 `json:"seqs"`
		Route string   `json:"route"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Seqs) > 1000 {
		writeFakeJSON(w, http.StatusBadRequest, map[string]string{"error": "console: replay: bad request"})
		return
	}
	c.mu.Lock()
	c.calls = append(c.calls, replayCall{at: at, seqs: len(req.Seqs), route: req.Route})
	c.mu.Unlock()
	seqs, err := c.f.g.Replay(r.Context(), req.Seqs, req.Route)
	switch {
	case errors.Is(err, gateway.ErrNotReplayable), errors.Is(err, gateway.ErrNoSuchRoute):
		writeFakeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	case err != nil:
		writeFakeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
	default:
		writeFakeJSON(w, http.StatusOK, map[string][]uint64{"seqs": seqs})
	}
}

func (c *fakeConsole) replayCalls() []replayCall {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

func writeFakeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

var replayedLine = regexp.MustCompile(`replayed seq (\d+) as seq (\d+) id (\S+) \(of (\S+)\)`)

// replayed is one line of `iwf replay` output.
type replayed struct {
	orig, fresh uint64
	id, of      string
}

func parseReplayed(t *testing.T, out string) []replayed {
	t.Helper()
	var r []replayed
	for _, m := range replayedLine.FindAllStringSubmatch(out, -1) {
		a, _ := strconv.ParseUint(m[1], 10, 64)
		b, _ := strconv.ParseUint(m[2], 10, 64)
		r = append(r, replayed{orig: a, fresh: b, id: m[3], of: m[4]})
	}
	return r
}

// checkLinked asserts that each replay is a new message with a fresh id,
// linked to its original, and returns the replays by original id.
func (f *journalFixture) checkLinked(t *testing.T, lines []replayed) map[string]gateway.EntryView {
	t.Helper()
	bySeq := map[uint64]gateway.EntryView{}
	for _, v := range f.views() {
		bySeq[v.Seq] = v
	}
	out := map[string]gateway.EntryView{}
	for _, l := range lines {
		orig, fresh := bySeq[l.orig], bySeq[l.fresh]
		switch {
		case fresh.Kind != "message" || fresh.ID != l.id:
			t.Errorf("seq %d: %+v, printed id %s", l.fresh, fresh, l.id)
		case fresh.ID == orig.ID || fresh.ID == "":
			t.Errorf("replay of %s kept id %q", orig.ID, fresh.ID)
		case fresh.ReplayOf != orig.ID || l.of != orig.ID:
			t.Errorf("replay %d of %q: replay_of %q, printed (of %s)", l.fresh, orig.ID, fresh.ReplayOf, l.of)
		case fresh.To != orig.To || fresh.From != orig.From:
			t.Errorf("replay %+v of %+v: other addresses", fresh, orig)
		}
		out[orig.ID] = fresh
	}
	return out
}

// TestReplayOnlineDeadLettersNowSucceed: dead letters the SMSC refused are
// replayed through the console once the fault is gone, and are delivered.
func TestReplayOnlineDeadLettersNowSucceed(t *testing.T) {
	f := newJournalFixture(t)
	c := newFakeConsole(t, f)
	f.smsc1.setRefused() // the fault is gone
	out, stderr, err := runIWF(t, nil, "replay", "--console", c.srv.URL, "--token", fakeToken, "--status", "dead")
	if err != nil {
		t.Fatalf("replay: %v\n%s%s", err, out, stderr)
	}
	lines := parseReplayed(t, out)
	if len(lines) != 2 || !strings.Contains(out, "replayed 2 messages on their own routes through "+c.srv.URL) {
		t.Fatalf("want two replays:\n%s", out)
	}
	byOrig := f.checkLinked(t, lines)
	if _, ok := byOrig["old-fail"]; !ok {
		t.Errorf("old-fail not replayed:\n%s", out)
	}
	f.eventually("the replays at the SMSC", func() bool {
		a, _ := f.smsc1.submitsTo("447700900177")
		b, _ := f.smsc1.submitsTo("447700900178")
		return len(a) == 1 && len(b) == 1
	})
	f.eventually("the replays to end as submitted", func() bool {
		n := 0
		for _, v := range f.views() {
			if v.ReplayOf != "" && v.State == "done" && v.Outcome == "submitted" {
				n++
			}
		}
		return n == 2
	})
	for _, v := range f.views() {
		if (v.ID == "old-fail" || v.ID == "new-fail") && v.State != "dead" {
			t.Errorf("the original %s is %s now; it stays a dead letter", v.ID, v.State)
		}
	}
}

// TestReplayOnlineReportsNameTheOriginal: the receipt of a replayed
// message becomes an IMDN with the original's id, the one the sender knows.
func TestReplayOnlineReportsNameTheOriginal(t *testing.T) {
	f := newJournalFixture(t)
	c := newFakeConsole(t, f)
	out, stderr, err := runIWF(t, []string{tokenEnv + "=" + fakeToken}, "replay", "--console", c.srv.URL, "--id", "new-dlv")
	if err != nil {
		t.Fatalf("replay: %v\n%s%s", err, out, stderr)
	}
	lines := parseReplayed(t, out)
	if len(lines) != 1 || lines[0].of != "new-dlv" {
		t.Fatalf("want one replay of new-dlv:\n%s", out)
	}
	fresh := f.checkLinked(t, lines)["new-dlv"]
	var subs []string
	f.eventually("the replay at the SMSC", func() bool {
		_, subs = f.smsc1.submitsTo("447700900103")
		return len(subs) == 2
	})
	sms, _ := f.smsc1.submitsTo("447700900103")
	if err := f.g.HandleDeliver(context.Background(), "smsc1", fixtureReceipt(sms[1], subs[1])); err != nil {
		t.Fatal(err)
	}
	f.eventually("the IMDN of the replay", func() bool { return len(f.cpm.reports()) == 2 })
	for _, r := range f.cpm.reports() {
		if r.MessageID != "new-dlv" || r.Status != cpm.Delivered {
			t.Errorf("IMDN %+v, want delivered for new-dlv", r)
		}
	}
	for _, v := range f.views() {
		if v.Seq == fresh.Seq && v.Outcome != "delivered" {
			t.Errorf("replay %+v not delivered", v)
		}
	}
}

// TestReplayOnlineRateCap: the console never gets more than --rate
// messages in any one-second window; with --rate 0, one call takes them
// all.
func TestReplayOnlineRateCap(t *testing.T) {
	f := newJournalFixture(t)
	c := newFakeConsole(t, f)
	const rate = 3
	out, stderr, err := runIWF(t, nil, "replay", "--console", c.srv.URL, "--token", fakeToken, "--address", "*", "--rate", strconv.Itoa(rate))
	if err != nil {
		t.Fatalf("replay: %v\n%s%s", err, out, stderr)
	}
	if n := len(parseReplayed(t, out)); n != 8 {
		t.Fatalf("%d replays, want the 8 messages:\n%s", n, out)
	}
	calls := c.replayCalls()
	var sizes []int
	for i, call := range calls {
		sizes = append(sizes, call.seqs)
		inWindow := 0
		for _, other := range calls[i:] {
			if other.at.Sub(call.at) < time.Second {
				inWindow += other.seqs
			}
		}
		if inWindow > rate {
			t.Errorf("%d messages in the second from call %d, want at most %d (calls %+v)", inWindow, i, rate, calls)
		}
	}
	if !slices.Equal(sizes, []int{3, 3, 2}) {
		t.Errorf("batches %v, want [3 3 2]", sizes)
	}

	g := newJournalFixture(t)
	c = newFakeConsole(t, g)
	if out, stderr, err := runIWF(t, nil, "replay", "--console", c.srv.URL, "--token", fakeToken, "--address", "*", "--rate", "0"); err != nil {
		t.Fatalf("replay --rate 0: %v\n%s%s", err, out, stderr)
	}
	if calls := c.replayCalls(); len(calls) != 1 || calls[0].seqs != 8 {
		t.Errorf("--rate 0: calls %+v, want one of 8", calls)
	}
}

// TestPacerWindows: above the API's 1000 per call, a window is split into
// calls back to back, and the next window waits a second from the last
// answer.
func TestPacerWindows(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	var slept []time.Duration
	p := newPacer(2500)
	p.now = func() time.Time { return now }
	p.sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); now = now.Add(d); return nil }
	var batches []int
	for left := 6000; left > 0; {
		n, err := p.take(context.Background(), min(left, maxReplayBatch))
		if err != nil {
			t.Fatal(err)
		}
		now = now.Add(100 * time.Millisecond) // the call
		p.answered()
		batches = append(batches, n)
		left -= n
	}
	if want := []int{1000, 1000, 500, 1000, 1000, 500, 1000}; !slices.Equal(batches, want) {
		t.Errorf("batches %v, want %v", batches, want)
	}
	if want := []time.Duration{time.Second, time.Second}; !slices.Equal(slept, want) {
		t.Errorf("slept %v, want %v", slept, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q := newPacer(1)
	q.take(ctx, 1)
	q.answered()
	if _, err := q.take(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("take after cancel: %v", err)
	}
}

// TestReplayOnlineDryRunAndErrors: a dry run lists and sends nothing; a
// bad token, an unknown route and a missing token are refused clearly.
func TestReplayOnlineDryRunAndErrors(t *testing.T) {
	f := newJournalFixture(t)
	c := newFakeConsole(t, f)
	out, stderr, err := runIWF(t, nil, "replay", "--console", c.srv.URL+"/?token="+fakeToken, "--status", "dead", "--dry-run")
	if err != nil {
		t.Fatalf("dry run: %v\n%s%s", err, out, stderr)
	}
	if got := f.labels(out, -1, 5); !slices.Equal(got, []string{"new-fail", "old-fail"}) || !strings.Contains(out, "dry run: 2 messages would be replayed") {
		t.Errorf("dry run listed %q:\n%s", got, out)
	}
	for _, tc := range []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"--token", "wrong", "--status", "dead"}, nil, "console: bad token"},
		{[]string{"--token", fakeToken, "--status", "dead", "--to-route", "nosuch"}, nil, `gateway: no such route: "nosuch"`},
		{[]string{"--status", "dead"}, []string{tokenEnv + "="}, "no console token: give --token or set " + tokenEnv},
	} {
		_, stderr, err := runIWF(t, tc.env, append([]string{"replay", "--console", c.srv.URL}, tc.args...)...)
		if err == nil || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: %v, stderr %q; want %q", tc.args, err, stderr, tc.want)
		}
	}
	if calls := c.replayCalls(); len(calls) != 1 || calls[0].route != "nosuch" {
		t.Errorf("replay calls %+v, want only the refused one", calls)
	}
}

// TestReplayRefusals: what replay refuses before it reads anything.
func TestReplayRefusals(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--status", "dead"}, "give --data-dir DIR"},
		{[]string{"--data-dir", "x", "--console", "http://127.0.0.1:1", "--status", "dead"}, "give --data-dir DIR"},
		{[]string{"--data-dir", "x"}, "nothing selected"},
		{[]string{"--data-dir", "x", "--status", "dead", "--kind", "report"}, "only messages are replayed"},
		{[]string{"--data-dir", "x", "--status", "dead", "--rate", "-1"}, "cannot be negative"},
		{[]string{"--console", "127.0.0.1:8080", "--status", "dead", "--token", "t"}, "want the console's URL"},
		{[]string{"--data-dir", "x", "--status", "dead"}, "no journal in x"},
	} {
		_, stderr, err := runIWF(t, nil, append([]string{"replay"}, c.args...)...)
		if err == nil || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: %v, stderr %q; want %q", c.args, err, stderr, c.want)
		}
	}
}

// TestReplayOfflineSelectionAndDryRun: offline dry runs select by each
// filter, messages only, and write nothing.
func TestReplayOfflineSelectionAndDryRun(t *testing.T) {
	f := newJournalFixture(t)
	f.stop()
	before := fileSum(t, f.journalFile())
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--status", "dead"}, sorted("new-fail", "old-fail")},
		{[]string{"--status", "dead", "--limit", "1"}, sorted("old-fail")},
		{[]string{"--since", "1h", "--status", "failed"}, sorted("new-fail")},
		{[]string{"--until", "1h"}, sorted("old-fail", "old-sub")},
		{[]string{"--direction", "to_cpm"}, sorted("mo")}, // not the report nor the fragment
		{[]string{"--network", "mms", "--config", f.config}, sorted("new-mms")},
		{[]string{"--route-name", "smsc2"}, sorted("new-pend")},
		{[]string{"--address", "*0103"}, sorted("new-dlv")},
		{[]string{"--id", "new-sub"}, sorted("new-sub")},
		{[]string{"--status", "pending"}, sorted("new-pend")},
		{[]string{"--address", "*"}, sorted("mo", "new-dlv", "new-fail", "new-mms", "new-pend", "new-sub", "old-fail", "old-sub")},
	} {
		args := append([]string{"replay", "--data-dir", f.dir, "--dry-run"}, c.args...)
		out, stderr, err := runIWF(t, nil, args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s%s", args, err, out, stderr)
		}
		if got := f.labels(out, -1, 5); !slices.Equal(got, c.want) {
			t.Errorf("%v selected %q, want %q\n%s", c.args, got, c.want, out)
		}
		if !strings.Contains(out, fmt.Sprintf("dry run: %d messages would be replayed", len(c.want))) {
			t.Errorf("%v: no summary:\n%s", c.args, out)
		}
	}
	if fileSum(t, f.journalFile()) != before {
		t.Error("a dry run changed the journal file")
	}
}

// TestReplayOfflineThenServe: refused while the gateway runs; once it is
// stopped, dead letters replayed into its journal are delivered by its next
// start, as new messages linked to the originals.
func TestReplayOfflineThenServe(t *testing.T) {
	f := newJournalFixture(t)
	_, stderr, err := runIWF(t, nil, "replay", "--data-dir", f.dir, "--status", "dead")
	if err == nil || !strings.Contains(stderr, "in use by a running iwf") || !strings.Contains(stderr, "--console URL") {
		t.Errorf("replay into a running journal: %v %q", err, stderr)
	}
	f.stop()
	before := fileSum(t, f.journalFile())
	_, stderr, err = runIWF(t, nil, "replay", "--data-dir", f.dir, "--status", "dead", "--config", f.config, "--to-route", "smsc9")
	if err == nil || !strings.Contains(stderr, `--to-route "smsc9": no such route`) {
		t.Errorf("replay to an unknown route: %v %q", err, stderr)
	}
	if fileSum(t, f.journalFile()) != before {
		t.Error("a refused replay changed the journal file")
	}
	out, stderr, err := runIWF(t, nil, "replay", "--data-dir", f.dir, "--status", "dead", "--config", f.config, "--rate", "5")
	if err != nil {
		t.Fatalf("replay: %v\n%s%s", err, out, stderr)
	}
	if !strings.Contains(stderr, "--rate applies through --console") {
		t.Errorf("no note that --rate does not apply offline: %q", stderr)
	}
	lines := parseReplayed(t, out)
	if len(lines) != 2 || !strings.Contains(out, "replayed 2 messages on their own routes into "+f.dir) {
		t.Fatalf("want two replays:\n%s", out)
	}
	ls, _, err := runIWF(t, nil, "journal", "ls", "--data-dir", f.dir, "--status", "pending", "--kind", "message")
	if err != nil || strings.Count(ls, "replay of entry") != 2 {
		t.Errorf("journal ls of the pending replays: %v\n%s", err, ls)
	}
	f.smsc1.setRefused() // the fault is gone
	f.start()
	f.checkLinked(t, lines)
	f.eventually("the replays at the SMSC", func() bool {
		a, _ := f.smsc1.submitsTo("447700900177")
		b, _ := f.smsc1.submitsTo("447700900178")
		return len(a) == 1 && len(b) == 1
	})
}

// cpmUAS is the CPM side of the end-to-end replay tests: a SIP endpoint on
// iwf's outbound proxy port that takes every MESSAGE and keeps the IMDNs.
type cpmUAS struct {
	mu      sync.Mutex
	reports []cpm.Report
}

func startCPMUAS(t *testing.T, port int) *cpmUAS {
	t.Helper()
	u := &cpmUAS{}
	ep, err := sip.New(sip.Config{Listen: []string{fmt.Sprintf("tcp:127.0.0.1:%d", port)}}, slog.New(slog.DiscardHandler),
		func(_ context.Context, r *sip.Request) error {
			if rep, ok, err := translate.ReportFromSIP(r); err == nil && ok {
				u.mu.Lock()
				u.reports = append(u.reports, rep)
				u.mu.Unlock()
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := ep.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	return u
}

func (u *cpmUAS) delivered(id string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	n := 0
	for _, r := range u.reports {
		if r.MessageID == id && r.Status == cpm.Delivered {
			n++
		}
	}
	return n
}

// swapSMSC replaces the SMSC simulator by one with cfg on the same
// address: the fault of the old one is gone.
func (e *e2e) swapSMSC(cfg smsc.Config) {
	e.t.Helper()
	addr := e.smsc.Addr()
	if err := e.smsc.Close(); err != nil {
		e.t.Fatal(err)
	}
	cfg.Listen, cfg.SystemID, cfg.Password = addr, "iwf", "secret"
	cfg.OnSubmit = func(sm smpp.ShortMessage, _ string) {
		e.mu.Lock()
		e.seen[strings.TrimSpace(string(sm.Message))]++
		e.mu.Unlock()
	}
	e.smsc = smsc.New(cfg, nil)
	if err := e.smsc.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

var acceptedID = regexp.MustCompile(`imdn\.Message-ID (\S+)`)

// sendFailing sends texts with `iwf send sms`, asking for delivery
// notifications, and waits until the SMSC's receipts fail them all; it
// returns their ids.
func (e *e2e) sendFailing(texts ...string) []string {
	e.t.Helper()
	var ids []string
	for _, text := range texts {
		out, err := exec.Command(iwfBinary, "send", "sms", "--iwf", fmt.Sprintf("127.0.0.1:%d", e.sipPort),
			"--to", "tel:+447700900123", "--text", text).CombinedOutput()
		m := acceptedID.FindSubmatch(out)
		if err != nil || m == nil {
			e.t.Fatalf("send sms: %v\n%s", err, out)
		}
		ids = append(ids, string(m[1]))
	}
	e.eventually("the failures", 20*time.Second, func() bool { return strings.Count(e.logText(), "message failed") == len(texts) })
	return ids
}

// TestE2EReplayDeadLetters: messages the SMSC rejected become dead
// letters; replayed once the SMSC takes them again, offline into the
// stopped iwf's journal or online through its console, they reach the
// SMSC and their delivery IMDNs carry the ids the sender knows.
func TestE2EReplayDeadLetters(t *testing.T) {
	texts := []string{"replay me 1", "replay me 2"}
	t.Run("offline", func(t *testing.T) {
		e := newE2E(t, e2eOptions{smsc: smsc.Config{ReceiptStat: "REJECTD"}})
		uas := startCPMUAS(t, e.uasPort)
		ids := e.sendFailing(texts...)
		e.stop()
		e.swapSMSC(smsc.Config{})
		data := filepath.Join(e.dir, "data")
		out, err := exec.Command(iwfBinary, "replay", "--data-dir", data, "--status", "dead").CombinedOutput()
		if err != nil {
			t.Fatalf("replay: %v\n%s", err, out)
		}
		lines := parseReplayed(t, string(out))
		if len(lines) != 2 || lines[0].of != ids[0] || lines[1].of != ids[1] || lines[0].id == ids[0] {
			t.Fatalf("replays of %v:\n%s", ids, out)
		}
		show, err := exec.Command(iwfBinary, "journal", "show", "--data-dir", data, strconv.FormatUint(lines[0].fresh, 10)).CombinedOutput()
		if err != nil || !strings.Contains(collapse(string(show)), "replay of: "+ids[0]) || !strings.Contains(collapse(string(show)), "state: open") {
			t.Errorf("journal show of the replay: %v\n%s", err, show)
		}
		e.start()
		e.checkReplayed(uas, texts, ids)
	})
	t.Run("online", func(t *testing.T) {
		e := newE2E(t, e2eOptions{smsc: smsc.Config{ReceiptStat: "REJECTD"}})
		uas := startCPMUAS(t, e.uasPort)
		ids := e.sendFailing(texts...)
		consoleURL := fmt.Sprintf("http://127.0.0.1:%d", e.console)
		token := e.consoleToken(consoleURL)
		e.swapSMSC(smsc.Config{})
		out, err := exec.Command(iwfBinary, "replay", "--console", consoleURL, "--token", token, "--status", "dead").CombinedOutput()
		if err != nil {
			t.Fatalf("replay: %v\n%s", err, out)
		}
		lines := parseReplayed(t, string(out))
		if len(lines) != 2 || lines[0].of != ids[0] || lines[1].of != ids[1] || lines[0].id == ids[0] || lines[0].id == "?" {
			t.Fatalf("replays of %v:\n%s", ids, out)
		}
		e.checkReplayed(uas, texts, ids)
	})
}

// consoleToken finds the token the console printed at start and skips
// the test when this build's console does not serve the replay API yet.
func (e *e2e) consoleToken(consoleURL string) string {
	e.t.Helper()
	m := regexp.MustCompile(`[?&]token=([A-Za-z0-9_.~-]+)`).FindStringSubmatch(e.logText())
	if m == nil {
		e.t.Skip("the console printed no token URL; the admin API is not wired in this build")
	}
	req, _ := http.NewRequest(http.MethodPost, consoleURL+"/api/replay", bytes.NewReader([]byte(`{"seqs":[],"route":""}`)))
	req.Header.Set("Authorization", "Bearer "+m[1])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		e.t.Skip("the console does not serve POST /api/replay yet (404)")
	}
	return m[1]
}

// checkReplayed waits until each text reached the SMSC a second time and
// a delivery IMDN came back for each original id.
func (e *e2e) checkReplayed(uas *cpmUAS, texts, ids []string) {
	e.t.Helper()
	e.eventually("the replays at the SMSC", 20*time.Second, func() bool {
		return e.seenCount(texts[0]) == 2 && e.seenCount(texts[1]) == 2
	})
	e.eventually("delivery IMDNs with the original ids", 20*time.Second, func() bool {
		return uas.delivered(ids[0]) == 1 && uas.delivered(ids[1]) == 1
	})
}
