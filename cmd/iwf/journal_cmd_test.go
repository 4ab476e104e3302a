package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/addressmap"
	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/gateway"
	"github.com/iwf-gateway/iwf/journal"
	"github.com/iwf-gateway/iwf/journal/local"
	"github.com/iwf-gateway/iwf/translate"
)

// refusedError is a permanent SMSC refusal (the SMSC would answer
// ESME_RINVDSTADR): the gateway fails the message at once.
type refusedError struct{}

func (refusedError) Error() string   { return "smsc: invalid destination address" }
func (refusedError) Temporary() bool { return false }

// fixtureSMSC is a gateway.SMSCLink: it accepts every submit, refuses
// recipients in refuse for good, and is down while down is set.
type fixtureSMSC struct {
	mu     sync.Mutex
	refuse map[string]bool // destination numbers
	down   bool
	subs   []smpp.ShortMessage
	ids    []string
}

func (f *fixtureSMSC) Submit(_ context.Context, sm *smpp.ShortMessage) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return "", smpp.ErrNotBound
	}
	if f.refuse[sm.Dest.Addr] {
		return "", refusedError{}
	}
	id := fmt.Sprintf("%d", 7000+len(f.subs))
	f.subs = append(f.subs, *sm)
	f.ids = append(f.ids, id)
	return id, nil
}

func (f *fixtureSMSC) Ready() bool { f.mu.Lock(); defer f.mu.Unlock(); return !f.down }

func (f *fixtureSMSC) WaitReady(ctx context.Context) error {
	for !f.Ready() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

// submitsTo returns the submits to dest and the ids they got.
func (f *fixtureSMSC) submitsTo(dest string) ([]smpp.ShortMessage, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var subs []smpp.ShortMessage
	var ids []string
	for i, sm := range f.subs {
		if sm.Dest.Addr == dest {
			subs, ids = append(subs, sm), append(ids, f.ids[i])
		}
	}
	return subs, ids
}

func (f *fixtureSMSC) setRefused(dest ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuse = map[string]bool{}
	for _, d := range dest {
		f.refuse[d] = true
	}
}

// fixtureMMS is a gateway.MMSLink that takes every SubmitReq.
type fixtureMMS struct{ n atomic.Int64 }

func (f *fixtureMMS) Submit(context.Context, *mm7.SubmitReq, []mm7.Part) (string, error) {
	return fmt.Sprintf("mm7-%d", f.n.Add(1)), nil
}

// fixtureCPM is a gateway.CPMLink that records what goes toward CPM users.
type fixtureCPM struct {
	mu   sync.Mutex
	sent []sip.Outgoing
}

func (f *fixtureCPM) Send(_ context.Context, m *sip.Outgoing) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, *m)
	return nil
}

// reports returns the IMDNs sent toward CPM users.
func (f *fixtureCPM) reports() []cpm.Report {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []cpm.Report
	for _, o := range f.sent {
		r := &sip.Request{RequestURI: o.RequestURI, From: o.From, To: o.To, ContentType: o.ContentType, Body: o.Body}
		if rep, ok, err := translate.ReportFromSIP(r); err == nil && ok {
			out = append(out, rep)
		}
	}
	return out
}

// Numbers of the fixture: +4477009001xx are on route smsc1 (177 and 178
// refused while the fault lasts), +4477009002xx on smsc2 (down),
// +4477009003xx MMS users on mm7; other numbers are CPM users.
const (
	fixtureSender = "sip:+447700900999@ims.example.net;user=phone"
	fixtureConfig = `data_dir: %s
smpp:
  - {name: smsc1, address: "127.0.0.1:1", system_id: iwf, password: secret}
  - {name: smsc2, address: "127.0.0.1:2", system_id: iwf, password: secret}
mm7:
  relay_url: http://127.0.0.1:3/mm7
  listen: 127.0.0.1:0
  vasp_id: iwf
  username: iwf
  password: out
  inbound_username: relay
  inbound_password: in
addressmap:
  country_code: "44"
  rules:
    - {match: "+4477009002", network: sms, route: smsc2}
    - {match: "+4477009003", network: mms, route: mm7}
    - {match: "+", network: sms, route: smsc1}
gateway:
  validity: 2h
`
)

// journalFixture is a gateway in this process over a real local journal,
// with fake links, that writes the journals the CLI reads:
//
//	label      received  route  kind      state  outcome    notes
//	old-sub    5h ago    smsc1  message   done   submitted
//	old-fail   5h ago    smsc1  message   dead   failed     SMSC refused +447700900177
//	new-sub    now       smsc1  message   done   submitted
//	new-fail   now       smsc1  message   dead   failed     SMSC refused +447700900178
//	new-pend   now       smsc2  message   open   pending    smsc2 is down
//	new-mms    now       mm7    message   done   submitted  MMS
//	new-dlv    now       smsc1  message   done   delivered  receipt DELIVRD
//	report     now       cpm    report    done   delivered  IMDN of new-dlv
//	mo         now       cpm    message   done   delivered  MO SMS toward a CPM user
//	fragment   now       smsc1  fragment  open   pending    first of two MO segments
//
// Labels are the message ids, except the last three (see label).
type journalFixture struct {
	t      *testing.T
	dir    string // the data_dir
	config string // an iwf.yaml naming the fixture's routes
	smsc1  *fixtureSMSC
	smsc2  *fixtureSMSC
	mms    *fixtureMMS
	cpm    *fixtureCPM
	offset atomic.Int64 // the gateway's clock, relative to the real one
	moID   string

	j    *local.Journal
	g    *gateway.Gateway
	done chan error
}

func newJournalFixture(t *testing.T) *journalFixture {
	t.Helper()
	f := &journalFixture{t: t, dir: t.TempDir(), smsc1: &fixtureSMSC{}, smsc2: &fixtureSMSC{down: true},
		mms: &fixtureMMS{}, cpm: &fixtureCPM{}}
	f.config = filepath.Join(f.dir, "iwf.yaml")
	if err := os.WriteFile(f.config, fmt.Appendf(nil, fixtureConfig, f.dir), 0o600); err != nil {
		t.Fatal(err)
	}
	f.smsc1.setRefused("447700900177", "447700900178")
	f.start()
	t.Cleanup(f.stop)
	f.fill()
	return f
}

func (f *journalFixture) now() time.Time { return time.Now().Add(time.Duration(f.offset.Load())) }

// start runs a gateway over the fixture's journal, as `iwf serve` would.
func (f *journalFixture) start() {
	f.t.Helper()
	j, err := local.Open(local.Config{Path: filepath.Join(f.dir, "journal.db"), NoSync: true}, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	am, err := addressmap.New(addressmap.Config{CountryCode: "44", Rules: []addressmap.Rule{
		{Match: "+4477009002", Network: gateway.NetworkSMS, Route: "smsc2"},
		{Match: "+4477009003", Network: gateway.NetworkMMS, Route: "mm7"},
		{Match: "+4477009001", Network: gateway.NetworkSMS, Route: "smsc1"},
	}})
	if err != nil {
		f.t.Fatal(err)
	}
	g, err := gateway.New(gateway.Config{Retry: gateway.RetryConfig{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond},
		CPMWorkers: 2}, gateway.Deps{
		Journal: j, Addresses: am, CPM: f.cpm, Log: slog.New(slog.DiscardHandler), Now: f.now,
		CPMOut: translate.SIPOutboundConfig{Domain: "iwf.example.net", CPIM: true},
		SMS:    []gateway.SMSRoute{{Name: "smsc1", Link: f.smsc1, Workers: 2}, {Name: "smsc2", Link: f.smsc2, Workers: 2}},
		MMS:    &gateway.MMSRoute{Name: "mm7", Link: f.mms, Workers: 2, Policy: translate.MMSRoute{MaxBytes: 300 << 10}},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.j, f.g, f.done = j, g, make(chan error, 1)
	go func() { f.done <- g.Run(context.Background()) }()
	<-g.Started()
}

// stop shuts the gateway down and closes the journal, as a stopped iwf
// leaves it. It is idempotent.
func (f *journalFixture) stop() {
	if f.g == nil {
		return
	}
	if err := f.g.Shutdown(context.Background()); err != nil {
		f.t.Errorf("gateway Shutdown: %v", err)
	}
	if err := <-f.done; err != nil {
		f.t.Errorf("gateway Run: %v", err)
	}
	if err := f.j.Close(); err != nil {
		f.t.Errorf("journal Close: %v", err)
	}
	f.g = nil
}

func (f *journalFixture) accept(id, to string, notify cpm.Disposition) {
	f.t.Helper()
	m := cpm.Message{ID: id, From: fixtureSender, To: cpm.Address(to), DateTime: f.now(), Notify: notify,
		Parts: []cpm.Part{{ContentType: "text/plain;charset=utf-8", Body: []byte("text of " + id)}}}
	if err := f.g.AcceptFromCPM(context.Background(), m); err != nil {
		f.t.Fatalf("accept %s: %v", id, err)
	}
}

// fill writes the table of journalFixture.
func (f *journalFixture) fill() {
	f.t.Helper()
	ctx := context.Background()
	f.offset.Store(int64(-5 * time.Hour))
	f.accept("old-sub", "tel:+447700900101", 0)
	f.accept("old-fail", "tel:+447700900177", 0)
	f.eventually("the old messages to end", func() bool { st := f.g.Stats(); return st.Submitted == 1 && st.Failed == 1 })
	f.offset.Store(0)
	f.accept("new-sub", "tel:+447700900102", 0)
	f.accept("new-fail", "tel:+447700900178", 0)
	f.accept("new-pend", "tel:+447700900201", 0)
	f.accept("new-mms", "tel:+447700900301", 0)
	f.accept("new-dlv", "tel:+447700900103", cpm.PositiveDelivery)
	f.eventually("the new messages to be submitted", func() bool {
		st := f.g.Stats()
		return st.Submitted == 3 && st.Failed == 2 && st.AwaitingReceipts == 1
	})
	subs, ids := f.smsc1.submitsTo("447700900103")
	if err := f.g.HandleDeliver(ctx, "smsc1", fixtureReceipt(subs[0], ids[0])); err != nil {
		f.t.Fatalf("receipt: %v", err)
	}
	mo := &smpp.ShortMessage{Source: smpp.Address{Addr: "447700900150", TON: 1, NPI: 1},
		Dest: smpp.Address{Addr: "447700900999", TON: 1, NPI: 1}, Message: []byte("Hi from SMS")}
	if err := f.g.HandleDeliver(ctx, "smsc1", mo); err != nil {
		f.t.Fatalf("MO: %v", err)
	}
	long := cpm.Message{Parts: []cpm.Part{{ContentType: "text/plain", Body: []byte(strings.Repeat("long MO text ", 20))}}}
	segs, err := translate.SMSFromMessage(&long, translate.SMSRoute{Reference: 9,
		Source: smpp.Address{Addr: "447700900151", TON: 1, NPI: 1}, Dest: smpp.Address{Addr: "447700900998", TON: 1, NPI: 1}})
	if err != nil || len(segs) < 2 {
		f.t.Fatalf("SMSFromMessage: %d segments, %v", len(segs), err)
	}
	if err := f.g.HandleDeliver(ctx, "smsc1", &segs[0]); err != nil {
		f.t.Fatalf("MO fragment: %v", err)
	}
	f.eventually("the receipt's IMDN and the MO message", func() bool { st := f.g.Stats(); return st.Delivered == 2 && st.ReportsSent == 1 })
	for _, v := range f.views() {
		if v.Kind == "message" && v.Route == cpmRouteName {
			f.moID = v.ID
		}
	}
}

func fixtureReceipt(sm smpp.ShortMessage, id string) *smpp.ShortMessage {
	text := translate.FormatReceiptText(translate.Receipt{TextID: id, Sub: "001", Dlvrd: "001", Stat: "DELIVRD", Err: "000",
		Submitted: time.Now().UTC(), Done: time.Now().UTC()})
	return &smpp.ShortMessage{ESMClass: smpp.ESMClassDeliveryReceipt, Source: sm.Dest, Dest: sm.Source, Message: []byte(text)}
}

func (f *journalFixture) eventually(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out waiting for %s; stats %+v", what, f.g.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// views lists every entry of the running gateway, oldest first.
func (f *journalFixture) views() []gateway.EntryView {
	f.t.Helper()
	var all []gateway.EntryView
	for _, st := range []journal.State{journal.Open, journal.Done, journal.Dead} {
		v, err := f.g.Entries(context.Background(), st, 0, 1000)
		if err != nil {
			f.t.Fatal(err)
		}
		all = append(all, v...)
	}
	slices.SortFunc(all, func(a, b gateway.EntryView) int { return compareSeq(a.Seq, b.Seq) })
	return all
}

// label names an entry of the fixture's table.
func (f *journalFixture) label(kind, id string) string {
	switch {
	case kind == "report":
		return "report"
	case kind == "fragment":
		return "fragment"
	case id == f.moID:
		return "mo"
	}
	return id
}

// labels reads the KIND and ID columns of a table the CLI printed (ls:
// kind in column 3, id in 7; replay --dry-run: no kind, id in 5) and
// returns the labels of its rows, sorted.
func (f *journalFixture) labels(out string, kindCol, idCol int) []string {
	var got []string
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		if len(fields) <= idCol || fields[0] == "SEQ" || strings.HasPrefix(line, "dry run") {
			continue
		}
		kind := "message"
		if kindCol >= 0 {
			kind = fields[kindCol]
		}
		got = append(got, f.label(kind, fields[idCol]))
	}
	slices.Sort(got)
	return got
}

func (f *journalFixture) journalFile() string { return filepath.Join(f.dir, "journal.db") }

// runIWF runs the built iwf binary and returns its stdout and stderr.
func runIWF(t *testing.T, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(iwfBinary, args...)
	cmd.Env = append(os.Environ(), env...)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func sorted(s ...string) []string { slices.Sort(s); return s }

// TestJournalLsFilters: each filter of `iwf journal ls` selects what it
// should, on a journal the gateway wrote, and the file is not changed.
func TestJournalLsFilters(t *testing.T) {
	f := newJournalFixture(t)
	f.stop()
	before := fileSum(t, f.journalFile())
	allLegacy := []string{"new-dlv", "new-fail", "new-mms", "new-pend", "new-sub", "old-fail", "old-sub"}
	cases := []struct {
		args []string
		want []string
	}{
		{nil, sorted(append([]string{"fragment", "mo", "report"}, allLegacy...)...)},
		{[]string{"--since", "1h"}, sorted("fragment", "mo", "report", "new-dlv", "new-fail", "new-mms", "new-pend", "new-sub")},
		{[]string{"--until", "1h"}, sorted("old-fail", "old-sub")},
		{[]string{"--since", time.Now().Add(-6 * time.Hour).UTC().Format(time.RFC3339), "--until", "4h"}, sorted("old-fail", "old-sub")},
		{[]string{"--direction", "to_cpm"}, sorted("fragment", "mo", "report")},
		{[]string{"--direction", "to_legacy"}, sorted(allLegacy...)},
		{[]string{"--network", "mms", "--config", f.config}, sorted("new-mms")},
		{[]string{"--network", "sms", "--config", f.config}, sorted("fragment", "mo", "new-dlv", "new-fail", "new-pend", "new-sub", "old-fail", "old-sub")},
		{[]string{"--network", "cpm", "--config", f.config}, sorted("report")},
		{[]string{"--network", "imps", "--config", f.config}, nil},
		{[]string{"--route-name", "smsc2"}, sorted("new-pend")},
		{[]string{"--route-name", "smsc2,mm7"}, sorted("new-mms", "new-pend")},
		{[]string{"--address", "*900177"}, sorted("old-fail")},
		{[]string{"--address", "tel:+44770090017*"}, sorted("new-fail", "old-fail")},
		{[]string{"--address", "90015"}, sorted("fragment", "mo")},
		{[]string{"--status", "dead"}, sorted("new-fail", "old-fail")},
		{[]string{"--status", "failed"}, sorted("new-fail", "old-fail")},
		{[]string{"--status", "pending"}, sorted("fragment", "new-pend")},
		{[]string{"--status", "delivered"}, sorted("mo", "new-dlv", "report")},
		{[]string{"--status", "submitted"}, sorted("new-mms", "new-sub", "old-sub")},
		{[]string{"--status", "expired"}, nil},
		{[]string{"--id", "new-dlv"}, sorted("new-dlv", "report")},
		{[]string{"--id", "new-dlv", "--kind", "message"}, sorted("new-dlv")},
		{[]string{"--kind", "report"}, sorted("report")},
		{[]string{"--kind", "fragment"}, sorted("fragment")},
		{[]string{"--state", "open"}, sorted("fragment", "new-pend")},
		{[]string{"--state", "dead", "--since", "1h"}, sorted("new-fail")},
		{[]string{"--status", "dead", "--direction", "to_legacy", "--address", "*178", "--since", "1h"}, sorted("new-fail")},
	}
	t.Cleanup(func() {
		if fileSum(t, f.journalFile()) != before {
			t.Error("journal ls changed the journal file")
		}
	})
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			args := append([]string{"journal", "ls", "--data-dir", f.dir, "--limit", "0"}, c.args...)
			out, stderr, err := runIWF(t, nil, args...)
			if err != nil {
				t.Fatalf("%v: %v\n%s%s", args, err, out, stderr)
			}
			if got := f.labels(out, 3, 7); !slices.Equal(got, c.want) {
				t.Errorf("selected %q, want %q\n%s", got, c.want, out)
			}
		})
	}
}

// TestJournalLsRefusals: bad filters and a journal in use are refused
// with a reason.
func TestJournalLsRefusals(t *testing.T) {
	f := newJournalFixture(t) // still running: it holds the journal
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"journal", "ls", "--data-dir", f.dir}, "in use by a running iwf"},
		{[]string{"journal", "stats", "--data-dir", f.dir}, "in use by a running iwf"},
		{[]string{"journal", "ls", "--data-dir", t.TempDir()}, "no journal in"},
		{[]string{"journal", "ls", "--data-dir", f.dir, "--status", "lost"}, `--status "lost": want one of`},
		{[]string{"journal", "ls", "--data-dir", f.dir, "--since", "yesterday"}, "want an RFC 3339 time"},
		{[]string{"journal", "ls", "--data-dir", f.dir, "--since", "1h", "--until", "2h"}, "--since must be before --until"},
		{[]string{"journal", "ls", "--data-dir", f.dir, "--state", "gone"}, `--state "gone"`},
		{[]string{"journal", "show", "--data-dir", f.dir, "x"}, "want a journal sequence number"},
	} {
		_, stderr, err := runIWF(t, nil, c.args...)
		if err == nil || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: %v, stderr %q; want an error with %q", c.args, err, stderr, c.want)
		}
	}
}

// TestJournalShowAndStats: show prints every field of one entry and no
// body; stats counts what the fixture wrote.
func TestJournalShowAndStats(t *testing.T) {
	f := newJournalFixture(t)
	var dlv gateway.EntryView
	for _, v := range f.views() {
		if v.ID == "new-dlv" && v.Kind == "message" {
			dlv = v
		}
	}
	f.stop()
	before := fileSum(t, f.journalFile())
	out, stderr, err := runIWF(t, nil, "journal", "show", "--data-dir", f.dir, fmt.Sprint(dlv.Seq))
	if err != nil {
		t.Fatalf("show: %v\n%s", err, stderr)
	}
	for _, want := range []string{
		fmt.Sprintf("seq: %d", dlv.Seq), "state: done", "kind: message", "direction: to_legacy", "route: smsc1",
		"outcome: delivered", "id: new-dlv", "from: " + fixtureSender, "to: tel:+447700900103", "replay of: -",
		"parts submitted: 1", "body bytes: 15", "received: " + dlv.Received.UTC().Format(time.RFC3339), "refs: ", "attempts: 0",
	} {
		if !strings.Contains(collapse(out), collapse(want)) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "text of new-dlv") {
		t.Errorf("show printed the body:\n%s", out)
	}
	if out, stderr, err := runIWF(t, nil, "journal", "show", "--body", "--data-dir", f.dir, fmt.Sprint(dlv.Seq)); err != nil ||
		!strings.Contains(out, "text of new-dlv") || !strings.Contains(out, "part 1:") {
		t.Errorf("show --body: %v %s\n%s", err, stderr, out)
	}
	if _, stderr, err := runIWF(t, nil, "journal", "show", "--data-dir", f.dir, "99999"); err == nil || !strings.Contains(stderr, "no entry 99999") {
		t.Errorf("show of a missing seq: %v %q", err, stderr)
	}

	out, stderr, err = runIWF(t, nil, "journal", "stats", "--data-dir", f.dir)
	if err != nil {
		t.Fatalf("stats: %v\n%s", err, stderr)
	}
	for _, want := range []string{"entries 10", "open 2", "done 6", "dead 2", "message 8", "report 1", "fragment 1",
		"to_cpm 3", "to_legacy 7", "smsc1 6", "smsc2 1", "mm7 1", "cpm 2", "delivered 3", "submitted 3", "failed 2", "pending 2"} {
		if !strings.Contains(collapse(out), collapse(want)) {
			t.Errorf("stats lacks %q:\n%s", want, out)
		}
	}
	var oldest gateway.EntryView
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "oldest") {
			oldest.Received, _ = time.Parse(time.RFC3339, strings.Fields(line)[1])
		}
	}
	if age := time.Since(oldest.Received); age < 4*time.Hour || age > 6*time.Hour {
		t.Errorf("oldest is %v old, want the 5h-old messages:\n%s", age, out)
	}
	out, _, err = runIWF(t, nil, "journal", "stats", "--data-dir", f.dir, "--status", "dead")
	if err != nil || !strings.Contains(collapse(out), "entries 2") {
		t.Errorf("stats --status dead: %v\n%s", err, out)
	}
	if fileSum(t, f.journalFile()) != before {
		t.Error("journal show/stats changed the journal file")
	}
}

// TestPrintable: values from the network cannot break the table or the
// terminal.
func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"":                    "-",
		"tel:+447700900123":   "tel:+447700900123",
		"Zoë":                 "Zoë",
		"a\tb":                `"a\tb"`,
		"line\nbreak":         `"line\nbreak"`,
		"\x1b[31mred":         `"\x1b[31mred"`,
		" padded ":            `" padded "`,
		"bad\xffutf8":         `"bad\xffutf8"`,
		"sip:bob@example.net": "sip:bob@example.net",
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestParseWhen reads RFC 3339 times and durations ago.
func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-11-27T10:00:00Z":      time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
		"2026-11-27T10:00:00+01:00": time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC),
		"2h":                        now.Add(-2 * time.Hour),
		"90m":                       now.Add(-90 * time.Minute),
		"3d":                        now.Add(-72 * time.Hour),
	} {
		got, err := parseWhen(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "yesterday", "-2h", "2", "99999d", "d"} {
		if _, err := parseWhen(in, now); err == nil {
			t.Errorf("parseWhen(%q) accepted", in)
		}
	}
}

// FuzzParseWhen: what parses is an RFC 3339 time as written, or a time
// before now by at most the largest duration accepted.
func FuzzParseWhen(f *testing.F) {
	for _, seed := range []string{"2026-11-27T10:00:00Z", "2026-11-27T10:00:00.5+01:00", "2h", "1h30m", "3d", "0d", "65535d", "-1h", "1e3h", "d", ""} {
		f.Add(seed)
	}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseWhen(in, now)
		if err != nil {
			return
		}
		if want, perr := time.Parse(time.RFC3339, in); perr == nil {
			if !got.Equal(want) {
				t.Fatalf("parseWhen(%q) = %v, want %v", in, got, want)
			}
			return
		}
		if got.After(now) || now.Sub(got) > 65535*24*time.Hour {
			t.Fatalf("parseWhen(%q) = %v: not a time ago", in, got)
		}
	})
}

// FuzzPrintable: the output has no control or invalid bytes, and a quoted
// output unquotes to the input.
func FuzzPrintable(f *testing.F) {
	for _, seed := range []string{"", "tel:+447700900123", "a\tb", "\x1b[2J", " x", "bad\xffutf8", "Zoë", "\u202eevil"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := printable(in)
		if !utf8.ValidString(out) || strings.IndexFunc(out, notPrint) >= 0 {
			t.Fatalf("printable(%q) = %q: unprintable", in, out)
		}
		if in != "" && out != in {
			back, err := strconv.Unquote(out)
			if err != nil || back != in {
				t.Fatalf("printable(%q) = %s, unquotes to %q, %v", in, out, back, err)
			}
		}
	})
}
