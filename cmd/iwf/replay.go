package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/iwf-gateway/iwf/gateway"
	"github.com/iwf-gateway/iwf/journal"
	"github.com/iwf-gateway/iwf/journal/local"
)

const (
	// maxReplayBatch is the most messages one replay call or journal write
	// carries: the console API's bound, under journal/local's MaxBatch.
	maxReplayBatch = 1000
	// consolePage is how many entries one GET /api/entries asks for (the
	// API's maximum).
	consolePage = 1000
	// maxConsoleAnswer bounds the body of one console answer: a page of
	// 1000 entries is well under it.
	maxConsoleAnswer = 32 << 20
	// tokenEnv names the environment variable --token defaults to.
	tokenEnv = "IWF_CONSOLE_TOKEN"
)

// errBadToken is the console's 401.
var errBadToken = errors.New("console: bad token")

type replayOptions struct {
	sel     selectionFlags
	dataDir string
	console string
	token   string
	toRoute string
	rate    int
	dryRun  bool
	limit   int
	timeout time.Duration

	// onKafka: the journal of --config is on Kafka, and messages are
	// selected from a snapshot of its topics.
	onKafka bool
}

func newReplayCmd() *cobra.Command {
	var o replayOptions
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "Send journaled messages again, with fresh ids linked to the originals",
		Long: `Each selected message is sent again as a new message with a fresh imdn.Message-ID,
linked to its original: its reports carry the original's id, the one the sender
knows. Reports and MO fragments are never replayed; nothing is selected without
a filter (--address '*' selects every message).

Online, --console URL replays through a running iwf's admin API (token from
--token or $` + tokenEnv + `), at most --rate messages in any second.
Offline, --data-dir DIR writes the replays into the journal of a stopped iwf
(refused while one runs on it); its next start delivers them at its routes'
pace, so --rate does not apply. With --config FILE, the offline replay takes
the validity from it and refuses routes it does not have.`,
		Example: "  iwf replay --data-dir /var/lib/iwf --status dead --since 2h --dry-run\n" +
			"  iwf replay --console http://127.0.0.1:8080 --status failed --network sms --rate 50\n" +
			"  iwf replay --console http://127.0.0.1:8080 --id 5rQ2kN7xWp --to-route smsc2",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	f := cmd.Flags()
	f.StringVar(&o.dataDir, "data-dir", "", "replay offline into the journal of the stopped iwf with this data_dir")
	f.StringVar(&o.console, "console", "", "replay through this running iwf's console (e.g. http://127.0.0.1:8080)")
	f.StringVar(&o.token, "token", "", "the console token (default $"+tokenEnv+")")
	f.StringVar(&o.toRoute, "to-route", "", "send on this route instead of each message's own")
	f.IntVar(&o.rate, "rate", 100, "replay at most this many messages per second through the console (0: no cap)")
	f.BoolVar(&o.dryRun, "dry-run", false, "list what would be replayed and change nothing")
	f.IntVar(&o.limit, "limit", 0, "replay at most this many messages, oldest first (0: every one selected)")
	f.DurationVar(&o.timeout, "timeout", 30*time.Second, "give up on one console request after this long")
	o.sel.register(cmd, "message")
	return cmd
}

func (o *replayOptions) run(cmd *cobra.Command) error {
	_, onKafka, err := kafkaJournalOf(o.sel.config)
	if err != nil {
		return err
	}
	o.onKafka = onKafka
	switch {
	case onKafka && o.dataDir != "":
		return errors.New("--data-dir: the journal of --config is on Kafka; replay through any running instance with --console URL")
	case onKafka && o.console == "" && !o.dryRun:
		return errors.New("the journal of --config is on Kafka, where the running instances own the messages: replay through any of them with --console URL (see the selection first with --dry-run)")
	case !onKafka && (o.dataDir == "") == (o.console == ""):
		return errors.New("give --data-dir DIR (replay into a stopped iwf) or --console URL (through a running one)")
	case o.sel.kind != "message":
		return errors.New("--kind: only messages are replayed, never reports or fragments")
	case !o.sel.given():
		return errors.New("nothing selected: give a filter (--status dead, --since 2h, --id ID, …); --address '*' selects every message")
	case o.rate < 0 || o.limit < 0:
		return errors.New("--rate and --limit cannot be negative")
	}
	sel, err := o.sel.selection(time.Now())
	if err != nil {
		return err
	}
	defer sel.warn(cmd.ErrOrStderr())
	if o.console != "" {
		return o.online(cmd, sel)
	}
	if o.onKafka {
		return o.snapshotDryRun(cmd, sel)
	}
	if cmd.Flags().Changed("rate") {
		fmt.Fprintln(cmd.ErrOrStderr(), "note: --rate applies through --console; offline, the next iwf serve delivers at its routes' pace")
	}
	return o.offline(cmd, sel)
}

// offline replays into the journal file of a stopped iwf.
func (o *replayOptions) offline(cmd *cobra.Command, sel *entrySelection) error {
	if o.dryRun {
		return o.snapshotDryRun(cmd, sel)
	}
	validity, routes, err := o.offlineConfig()
	if err != nil {
		return err
	}
	// --to-route is checked before the journal is opened: a typo changes
	// nothing.
	if err := o.checkRoutes(nil, routes); err != nil {
		return err
	}
	j, err := openForReplay(o.dataDir)
	if err != nil {
		return err
	}
	defer j.Close()
	unreadable := 0
	views, err := o.choose(cmd.Context(), journalSource(j, &unreadable), sel)
	if err != nil {
		return err
	}
	warnUnreadable(cmd.ErrOrStderr(), unreadable)
	if err := o.checkRoutes(views, routes); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if err := o.writeReplays(cmd.Context(), j, views, validity, out); err != nil {
		return err
	}
	if len(views) == 0 {
		_, err := fmt.Fprintln(out, "nothing to replay: no message matches")
		return err
	}
	_, err = fmt.Fprintf(out, "replayed %d messages%s into %s; the next iwf serve on it delivers them\n",
		len(views), o.routeNote(), o.dataDir)
	return err
}

// snapshotDryRun lists what a replay would write, from a snapshot of the
// stopped iwf's journal, or of the Kafka journal of --config.
func (o *replayOptions) snapshotDryRun(cmd *cobra.Command, sel *entrySelection) error {
	j, closeSnapshot, err := openJournalToRead(cmd.Context(), o.dataDir, o.sel.config)
	if err != nil {
		return err
	}
	defer closeSnapshot()
	unreadable := 0
	views, err := o.choose(cmd.Context(), journalSource(j, &unreadable), sel)
	if err != nil {
		return err
	}
	warnUnreadable(cmd.ErrOrStderr(), unreadable)
	return o.writePlan(cmd.OutOrStdout(), views)
}

// writeReplays writes the replays of views into j, one Put per batch,
// printing each once it is durable.
func (o *replayOptions) writeReplays(ctx context.Context, j journal.Journal, views []gateway.EntryView, validity time.Duration, out io.Writer) error {
	done := 0
	for batch := range slices.Chunk(views, maxReplayBatch) {
		entries := make([]journal.Entry, 0, len(batch))
		for _, v := range batch {
			e, err := j.Get(ctx, v.Seq)
			if err == nil {
				e, err = gateway.ReplayEntry(e, o.toRoute, time.Now(), validity)
			}
			if err != nil {
				return replayStopped(done, len(views), err)
			}
			entries = append(entries, e)
		}
		if err := j.Put(ctx, entries); err != nil {
			return replayStopped(done, len(views), err)
		}
		for i, e := range entries {
			nv, _ := gateway.DescribeEntry(e) // just built by ReplayEntry
			writeReplayed(out, batch[i], nv)
			done++
		}
	}
	return nil
}

// offlineConfig reads --config, when given, for the validity of the
// replays and the routes that exist; without it the gateway's default
// validity applies and routes are not checked.
func (o *replayOptions) offlineConfig() (time.Duration, map[string]string, error) {
	if o.sel.config == "" {
		return 0, nil, nil
	}
	cfg, err := loadConfig(o.sel.config)
	if err != nil {
		return 0, nil, fmt.Errorf("--config: %w", err)
	}
	routes := routeNetworksOf(cfg)
	routes[cpmRouteName] = gateway.NetworkCPM
	return cfg.Gateway.WithDefaults().Validity, routes, nil
}

// checkRoutes refuses, before anything is written, replays on routes the
// configuration does not have: the gateway would fail them at its start.
func (o *replayOptions) checkRoutes(views []gateway.EntryView, routes map[string]string) error {
	if routes == nil {
		return nil
	}
	if o.toRoute != "" {
		if _, ok := routes[o.toRoute]; !ok {
			return fmt.Errorf("--to-route %q: no such route in %s", o.toRoute, o.sel.config)
		}
		return nil
	}
	for _, v := range views {
		if _, ok := routes[v.Route]; !ok {
			return fmt.Errorf("seq %d is on route %q, which %s does not have: give --to-route", v.Seq, v.Route, o.sel.config)
		}
	}
	return nil
}

// openForReplay opens the journal of a stopped iwf for writing; a running
// iwf holds its lock, and replays then go through its console.
func openForReplay(dir string) (*local.Journal, error) {
	path, err := journalPath(dir)
	if err != nil {
		return nil, err
	}
	// No retention purge from this tool: the iwf that owns the journal
	// purges on its own schedule.
	j, err := local.Open(local.Config{Path: path, PurgeInterval: never}, nil)
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%s: %w: replay through it with --console URL --token T instead", path, errJournalLocked)
	}
	return j, err
}

// online replays through a running iwf's admin API.
func (o *replayOptions) online(cmd *cobra.Command, sel *entrySelection) error {
	c, err := newConsoleClient(o.console, o.token, o.timeout)
	if err != nil {
		return err
	}
	src := c.source()
	if o.onKafka {
		// The console lists what its instance owns; the snapshot lists
		// every partition, and the instance hands each replay to the
		// entry's owner.
		s, closeSnapshot, err := openJournalToRead(cmd.Context(), "", o.sel.config)
		if err != nil {
			return err
		}
		defer closeSnapshot()
		unreadable := 0
		src = journalSource(s, &unreadable)
		defer func() { warnUnreadable(cmd.ErrOrStderr(), unreadable) }()
	}
	views, err := o.choose(cmd.Context(), src, sel)
	if err != nil {
		return err
	}
	if o.dryRun {
		return o.writePlan(cmd.OutOrStdout(), views)
	}
	out := cmd.OutOrStdout()
	if err := o.postReplays(cmd.Context(), c, views, out); err != nil {
		return err
	}
	if len(views) == 0 {
		_, err := fmt.Fprintln(out, "nothing to replay: no message matches")
		return err
	}
	_, err = fmt.Fprintf(out, "replayed %d messages%s through %s\n", len(views), o.routeNote(), c.base)
	return err
}

// postReplays asks the console to replay views in calls the pacer allows,
// printing each replay once the console has journaled it.
func (o *replayOptions) postReplays(ctx context.Context, c *consoleClient, views []gateway.EntryView, out io.Writer) error {
	p := newPacer(o.rate)
	done := 0
	for rest := views; len(rest) > 0; {
		n, err := p.take(ctx, min(len(rest), maxReplayBatch))
		if err != nil {
			return replayStopped(done, len(views), err)
		}
		batch := rest[:n]
		rest = rest[n:]
		seqs := make([]uint64, n)
		for i, v := range batch {
			seqs[i] = v.Seq
		}
		fresh, err := c.replay(ctx, seqs, o.toRoute)
		p.answered()
		if err != nil {
			return replayStopped(done, len(views), err)
		}
		described := c.describe(ctx, slices.DeleteFunc(slices.Clone(fresh), func(s uint64) bool { return s == 0 }))
		for i, seq := range fresh {
			if seq == 0 {
				// A shared (Kafka) journal: another instance owns the
				// entry and makes the replay.
				fmt.Fprintf(out, "replayed seq %d: handed to the iwf instance that owns it\n", batch[i].Seq)
				done++
				continue
			}
			nv, ok := described[seq]
			if !ok {
				nv = gateway.EntryView{Seq: seq, ID: "?"}
			}
			writeReplayed(out, batch[i], nv)
			done++
		}
	}
	return nil
}

// choose selects the messages to replay.
func (o *replayOptions) choose(ctx context.Context, src entrySource, sel *entrySelection) ([]gateway.EntryView, error) {
	return selectEntries(ctx, src, sel, sel.states(), o.limit)
}

func (o *replayOptions) routeNote() string {
	if o.toRoute != "" {
		return fmt.Sprintf(" on route %s", printable(o.toRoute))
	}
	return " on their own routes"
}

// writePlan is the --dry-run listing.
func (o *replayOptions) writePlan(out io.Writer, views []gateway.EntryView) error {
	if len(views) == 0 {
		_, err := fmt.Fprintln(out, "dry run: nothing to replay: no message matches")
		return err
	}
	w := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SEQ\tRECEIVED\tROUTE\tFROM\tTO\tID\tOUTCOME")
	for _, v := range views {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Seq, formatTime(v.Received), printable(v.Route),
			printable(v.From), printable(v.To), printable(v.ID), v.Outcome)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "dry run: %d messages would be replayed%s; nothing was changed\n", len(views), o.routeNote())
	return err
}

// writeReplayed prints one replay: the original's seq, the new entry, and
// the id its reports carry (the original's, or the first original's when
// the original was itself a replay).
func writeReplayed(out io.Writer, orig, fresh gateway.EntryView) {
	of := fresh.ReplayOf
	if of == "" {
		of = orig.ReplayOf
	}
	if of == "" {
		of = orig.ID
	}
	fmt.Fprintf(out, "replayed seq %d as seq %d id %s (of %s)\n", orig.Seq, fresh.Seq, printable(fresh.ID), printable(of))
}

func replayStopped(done, total int, err error) error {
	return fmt.Errorf("replay stopped after %d of %d messages: %w", done, total, err)
}

// consoleClient speaks the console's admin API.
type consoleClient struct {
	base  string // scheme://host[/prefix], no trailing slash
	token string
	http  *http.Client
}

// newConsoleClient checks the console URL and finds the token: token, else
// $IWF_CONSOLE_TOKEN, else a ?token= in the URL as the console prints it.
func newConsoleClient(raw, token string, timeout time.Duration) (*consoleClient, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// raw is not echoed: it may carry a ?token=.
		return nil, errors.New("--console: want the console's URL, e.g. http://127.0.0.1:8080")
	}
	if token == "" {
		token = os.Getenv(tokenEnv)
	}
	if token == "" {
		token = u.Query().Get("token")
	}
	if token == "" {
		return nil, errors.New("no console token: give --token or set " + tokenEnv)
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return &consoleClient{base: strings.TrimRight(u.String(), "/"), token: token,
		http: &http.Client{Timeout: timeout}}, nil
}

// call sends one request and decodes a 2xx answer into out. A 401 is
// errBadToken; another error status carries the console's {"error"} text.
func (c *consoleClient) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxConsoleAnswer+1))
	if err != nil {
		return fmt.Errorf("console: %s %s: %w", method, path, err)
	}
	if len(raw) > maxConsoleAnswer {
		return fmt.Errorf("console: %s %s: answer larger than %d bytes", method, path, maxConsoleAnswer)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return errBadToken
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			return fmt.Errorf("console: %s", e.Error)
		}
		return fmt.Errorf("console: %s %s: HTTP %d", method, path, resp.StatusCode)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("console: %s %s: unreadable answer: %w", method, path, err)
	}
	return nil
}

// source pages through GET /api/entries.
func (c *consoleClient) source() entrySource {
	return func(ctx context.Context, state journal.State, after uint64, fn func(gateway.EntryView) error) error {
		for {
			var page []gateway.EntryView
			path := fmt.Sprintf("/api/entries?state=%s&after=%d&limit=%d", state, after, consolePage)
			if err := c.call(ctx, http.MethodGet, path, nil, &page); err != nil {
				return err
			}
			if len(page) == 0 {
				return nil
			}
			for _, v := range page {
				if v.Seq <= after {
					return fmt.Errorf("console: GET /api/entries: seq %d after %d", v.Seq, after)
				}
				after = v.Seq
				if err := fn(v); errors.Is(err, journal.ErrStop) {
					return nil
				} else if err != nil {
					return err
				}
			}
		}
	}
}

// replay is POST /api/replay.
func (c *consoleClient) replay(ctx context.Context, seqs []uint64, route string) ([]uint64, error) {
	in := struct {
		Seqs  []uint64 `json:"seqs"`
		Route string   `json:"route"`
	}{seqs, route}
	var out struct {
		Seqs []uint64 `json:"seqs"`
	}
	if err := c.call(ctx, http.MethodPost, "/api/replay", in, &out); err != nil {
		return nil, err
	}
	if len(out.Seqs) != len(seqs) {
		return nil, fmt.Errorf("console: POST /api/replay: %d new entries for %d messages", len(out.Seqs), len(seqs))
	}
	return out.Seqs, nil
}

// describe finds the entries a replay just wrote, to print their ids: they
// are the newest, so each state is read from the lowest of them on. It is
// best effort: an entry not found is left out.
func (c *consoleClient) describe(ctx context.Context, seqs []uint64) map[uint64]gateway.EntryView {
	found := make(map[uint64]gateway.EntryView, len(seqs))
	if len(seqs) == 0 {
		return found
	}
	lo, hi := slices.Min(seqs), slices.Max(seqs)
	src := c.source()
	for _, st := range []journal.State{journal.Open, journal.Done, journal.Dead} {
		_ = src(ctx, st, max(lo, 1)-1, func(v gateway.EntryView) error {
			if v.Seq > hi {
				return journal.ErrStop
			}
			if slices.Contains(seqs, v.Seq) {
				found[v.Seq] = v
			}
			if len(found) == len(seqs) {
				return journal.ErrStop
			}
			return nil
		})
		if len(found) == len(seqs) {
			break
		}
	}
	return found
}

// pacer keeps replay calls under a rate: at most rate messages in any one
// second as the console sees them. A window's calls go back to back; the
// next window opens a second after the answer to the previous window's last
// call, which the console sent after it received that call.
type pacer struct {
	rate  int       // 0: no cap
	left  int       // messages the open window may still carry
	opens time.Time // when the next window opens, once left is 0
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

func newPacer(rate int) *pacer {
	return &pacer{rate: rate, left: rate, now: time.Now, sleep: sleepContext}
}

// take waits until a call may go and says how many of want messages it
// may carry.
func (p *pacer) take(ctx context.Context, want int) (int, error) {
	if p.rate == 0 {
		return want, ctx.Err()
	}
	if p.left == 0 {
		if err := p.sleep(ctx, p.opens.Sub(p.now())); err != nil {
			return 0, err
		}
		p.left = p.rate
	}
	n := min(want, p.left)
	p.left -= n
	return n, nil
}

// answered notes that the answer to the last call came back.
func (p *pacer) answered() {
	if p.rate > 0 && p.left == 0 {
		p.opens = p.now().Add(time.Second)
	}
}

func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
