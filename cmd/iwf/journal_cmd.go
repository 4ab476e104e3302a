package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/iwf-gateway/iwf/config"
	"github.com/iwf-gateway/iwf/gateway"
	"github.com/iwf-gateway/iwf/journal"
	"github.com/iwf-gateway/iwf/journal/kafka"
	"github.com/iwf-gateway/iwf/journal/local"
)

// The journal commands only look: they read a snapshot of the journal file
// (see openSnapshot) and never write to it.

func newJournalCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "journal",
		Short: "Look into a stopped iwf's journal, or a Kafka journal (read only)",
		Long: "Look into the journal of an iwf that is not running. Nothing is changed: the file is\n" +
			"opened read-only and copied, and the commands read the copy. With --config naming a\n" +
			"journal.backend kafka, they read a snapshot of its topics instead, every partition, while\n" +
			"the instances run: nothing joins their consumer group or commits.",
	}
	cmd.AddCommand(
		newJournalListCmd("ls", "List journal entries, oldest first", 0),
		newJournalShowCmd(),
		newJournalStatsCmd(),
		newJournalListCmd("dead", "List dead letters: messages that failed for good or expired (ls --state dead)", journal.Dead),
		newJournalListCmd("open", "List pending work: messages and reports not yet delivered, MO fragments (ls --state open)", journal.Open),
	)
	return cmd
}

// newJournalListCmd builds `journal ls`, and `journal dead|open`, which are
// ls with its state fixed.
func newJournalListCmd(use, short string, fixed journal.State) *cobra.Command {
	var (
		sel     selectionFlags
		dataDir string
		state   string
		limit   int
	)
	cmd := &cobra.Command{
		Use: use, Short: short, Args: cobra.NoArgs,
		Example: "  iwf journal ls --data-dir /var/lib/iwf --status dead --since 2h\n" +
			"  iwf journal ls --address '+4477009001*' --kind all",
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := sel.selection(time.Now())
			if err != nil {
				return err
			}
			states := s.states()
			if fixed != 0 {
				state = fixed.String()
			}
			if state != "" {
				st, err := parseState(state)
				if err != nil {
					return err
				}
				states = slices.DeleteFunc(states, func(x journal.State) bool { return x != st })
			}
			j, closeSnapshot, err := openJournalToRead(cmd.Context(), dataDir, sel.config)
			if err != nil {
				return err
			}
			defer closeSnapshot()
			unreadable := 0
			views, err := selectEntries(cmd.Context(), journalSource(j, &unreadable), s, states, limit)
			if err != nil {
				return err
			}
			warnUnreadable(cmd.ErrOrStderr(), unreadable)
			s.warn(cmd.ErrOrStderr())
			return writeEntryTable(cmd.OutOrStdout(), views)
		},
	}
	f := cmd.Flags()
	f.StringVar(&dataDir, "data-dir", "./iwf-data", "the data_dir of the iwf to read (it must be stopped)")
	f.IntVar(&limit, "limit", 100, "list at most this many entries, oldest first (0: all)")
	if fixed == 0 {
		f.StringVar(&state, "state", "", "only entries in this state: open, done or dead")
	}
	sel.register(cmd, "all")
	return cmd
}

func newJournalShowCmd() *cobra.Command {
	var (
		dataDir, configPath string
		body                bool
	)
	cmd := &cobra.Command{
		Use:   "show SEQ",
		Short: "Print every field of one journal entry (message bodies only with --body)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			seq, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil || seq == 0 {
				return fmt.Errorf("SEQ %q: want a journal sequence number", args[0])
			}
			j, closeSnapshot, err := openJournalToRead(cmd.Context(), dataDir, configPath)
			if err != nil {
				return err
			}
			defer closeSnapshot()
			e, err := j.Get(cmd.Context(), seq)
			if errors.Is(err, journal.ErrNotFound) {
				return fmt.Errorf("no entry %d in the journal (purged, or never written)", seq)
			}
			if err != nil {
				return err
			}
			if err := writeEntryDetail(cmd.OutOrStdout(), e); err != nil || !body {
				return err
			}
			return writeEntryBody(cmd.OutOrStdout(), e)
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "./iwf-data", "the data_dir of the iwf to read (it must be stopped)")
	cmd.Flags().BoolVar(&body, "body", false, "also print the message's parts: text as text, other content as size and type")
	cmd.Flags().StringVar(&configPath, "config", "", "read the journal this iwf configuration names: with journal.backend kafka, its topics (the instances keep running)")
	return cmd
}

// writeEntryBody prints the parts of the message an entry holds.
func writeEntryBody(out io.Writer, e journal.Entry) error {
	m, ok, err := gateway.EntryMessage(e)
	if err != nil {
		return err
	}
	if !ok {
		_, err := fmt.Fprintln(out, "  (not a message: no body)")
		return err
	}
	if m.Subject != "" {
		fmt.Fprintf(out, "  subject:  %s\n", printable(m.Subject))
	}
	for i, p := range m.Parts {
		fmt.Fprintf(out, "  part %d:   %s, %d bytes", i+1, printable(p.ContentType), len(p.Body))
		if p.Filename != "" {
			fmt.Fprintf(out, ", file %s", printable(p.Filename))
		}
		fmt.Fprintln(out)
		if p.IsText() {
			fmt.Fprintf(out, "    %s\n", printable(string(p.Body)))
		}
	}
	return nil
}

func newJournalStatsCmd() *cobra.Command {
	var (
		sel     selectionFlags
		dataDir string
	)
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Count journal entries per state, kind, direction, route and outcome",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := sel.selection(time.Now())
			if err != nil {
				return err
			}
			j, closeSnapshot, err := openJournalToRead(cmd.Context(), dataDir, sel.config)
			if err != nil {
				return err
			}
			defer closeSnapshot()
			unreadable := 0
			st := newEntryStats()
			src := journalSource(j, &unreadable)
			for _, state := range s.states() {
				err := src(cmd.Context(), state, 0, func(v gateway.EntryView) error {
					if s.matches(v) {
						st.add(v)
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			st.unreadable = unreadable
			s.warn(cmd.ErrOrStderr())
			return st.write(cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "./iwf-data", "the data_dir of the iwf to read (it must be stopped)")
	sel.register(cmd, "all")
	return cmd
}

// never is a retention purge interval that does not come.
const never = 100 * 365 * 24 * time.Hour

// errJournalLocked means a running iwf holds the journal file.
var errJournalLocked = errors.New("the journal is in use by a running iwf")

// journalPath is where an iwf with data_dir dir keeps its local journal.
func journalPath(dir string) (string, error) {
	p := filepath.Join(dir, "journal.db")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("no journal in %s: %w", dir, err)
	}
	return p, nil
}

// openJournalToRead opens, read only, the journal the commands look
// into: with configPath naming a Kafka journal, a snapshot of its topics,
// every partition, taken without joining the instances' group (they keep
// running); otherwise a copy of the local journal in dataDir.
func openJournalToRead(ctx context.Context, dataDir, configPath string) (journal.Journal, func(), error) {
	kcfg, ok, err := kafkaJournalOf(configPath)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return openSnapshot(dataDir)
	}
	s, err := kafka.OpenSnapshot(ctx, kcfg, nil)
	if err != nil {
		return nil, nil, err
	}
	return s, func() { s.Close() }, nil
}

// kafkaJournalOf reads the configuration at path, when given, and returns
// its Kafka journal settings if that is its journal.
func kafkaJournalOf(path string) (kafka.Config, bool, error) {
	if path == "" {
		return kafka.Config{}, false, nil
	}
	cfg, err := loadConfig(path)
	if err != nil {
		return kafka.Config{}, false, fmt.Errorf("--config: %w", err)
	}
	return cfg.Journal.Kafka, cfg.Journal.Backend == "kafka", nil
}

// openSnapshot returns a private copy of the journal in dataDir, and the
// function that closes and removes it. The original is opened read-only
// (bbolt takes a shared lock, which a running iwf's exclusive lock refuses)
// and copied in one read transaction: nothing is ever written to it, where
// opening it through journal/local would write a commit and could purge.
// The copy costs the file's size in the temporary directory.
func openSnapshot(dataDir string) (journal.Journal, func(), error) {
	path, err := journalPath(dataDir)
	if err != nil {
		return nil, nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, nil, fmt.Errorf("%s: %w: stop it first, or look through its console", path, errJournalLocked)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	tmp, err := os.MkdirTemp("", "iwf-journal-")
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	copyPath := filepath.Join(tmp, "journal.db")
	err = db.View(func(tx *bolt.Tx) error { return tx.CopyFile(copyPath, 0o600) })
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.RemoveAll(tmp)
		return nil, nil, fmt.Errorf("copying %s: %w", path, err)
	}
	// The copy is private and short-lived: no fsync, and no retention
	// purge while it is read.
	j, err := local.Open(local.Config{Path: copyPath, NoSync: true, Retention: never, PurgeInterval: never}, nil)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, nil, err
	}
	return j, func() { j.Close(); os.RemoveAll(tmp) }, nil
}

// entrySource calls fn for every entry in state with seq above after, in
// seq order, until fn
// returns an error (journal.ErrStop ends it cleanly). It reads a journal
// offline or the console's admin API online.
type entrySource func(ctx context.Context, state journal.State, after uint64, fn func(gateway.EntryView) error) error

// journalSource reads j, counting in *unreadable the entries the gateway
// cannot decode.
func journalSource(j journal.Journal, unreadable *int) entrySource {
	return func(ctx context.Context, state journal.State, after uint64, fn func(gateway.EntryView) error) error {
		return j.Scan(ctx, state, after, func(e journal.Entry) error {
			v, err := gateway.DescribeEntry(e)
			if err != nil {
				*unreadable++
				return nil
			}
			return fn(v)
		})
	}
}

// selectEntries returns the entries in states that sel selects, oldest
// (lowest seq) first, at most limit of them (0: all). Each state is read in
// seq order, so a state's scan stops at limit matches.
func selectEntries(ctx context.Context, src entrySource, sel *entrySelection, states []journal.State, limit int) ([]gateway.EntryView, error) {
	var out []gateway.EntryView
	for _, st := range states {
		n := 0
		err := src(ctx, st, 0, func(v gateway.EntryView) error {
			if !sel.matches(v) {
				return nil
			}
			out = append(out, v)
			n++
			if limit > 0 && n >= limit {
				return journal.ErrStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, journal.ErrStop) {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b gateway.EntryView) int { return compareSeq(a.Seq, b.Seq) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func compareSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func parseState(s string) (journal.State, error) {
	for _, st := range []journal.State{journal.Open, journal.Done, journal.Dead} {
		if s == st.String() {
			return st, nil
		}
	}
	return 0, fmt.Errorf("--state %q: want open, done or dead", s)
}

func warnUnreadable(w io.Writer, n int) {
	if n > 0 {
		fmt.Fprintf(w, "warning: %d journal entries could not be read and were left out\n", n)
	}
}

// timeFormat is how times are printed: RFC 3339 in UTC, which --since and
// --until accept back.
const timeFormat = time.RFC3339

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(timeFormat)
}

// printable makes a value from the network safe for a terminal and a
// table: empty becomes "-", and a value with invalid UTF-8, unprintable
// characters or surrounding blanks is quoted with escapes.
func printable(s string) string {
	if s == "" {
		return "-"
	}
	if !utf8.ValidString(s) || strings.TrimSpace(s) != s || strings.IndexFunc(s, notPrint) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

func notPrint(r rune) bool { return !unicode.IsPrint(r) }

func writeEntryTable(out io.Writer, views []gateway.EntryView) error {
	w := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SEQ\tRECEIVED\tSTATE\tKIND\tROUTE\tOUTCOME\tATTEMPTS\tID\tFROM\tTO\tREASON")
	for _, v := range views {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", v.Seq, formatTime(v.Received), v.State, v.Kind,
			printable(v.Route), v.Outcome, v.Attempts, printable(v.ID), printable(v.From), printable(v.To), printable(v.Reason))
	}
	return w.Flush()
}

// writeEntryDetail prints every field of an entry: the journal's own and,
// when the gateway can read the payload, the gateway's.
func writeEntryDetail(out io.Writer, e journal.Entry) error {
	w := tabwriter.NewWriter(out, 2, 4, 1, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(w, "%s:\t%s\n", k, v) }
	row("seq", strconv.FormatUint(e.Seq, 10))
	row("state", e.State.String())
	row("journaled", formatTime(e.Time))
	refs := make([]string, len(e.Refs))
	for i, r := range e.Refs {
		refs[i] = printable(r)
	}
	row("refs", printable(strings.Join(refs, ", ")))
	row("payload bytes", strconv.Itoa(len(e.Data)))
	v, err := gateway.DescribeEntry(e)
	if err != nil {
		row("unreadable", err.Error())
		return w.Flush()
	}
	row("kind", v.Kind)
	row("direction", directionOf(v))
	row("network", printable(v.Network))
	row("route", printable(v.Route))
	row("received", formatTime(v.Received))
	row("outcome", v.Outcome)
	row("reason", printable(v.Reason))
	row("attempts", strconv.FormatUint(uint64(v.Attempts), 10))
	row("id", printable(v.ID))
	row("replay of", printable(v.ReplayOf))
	row("from", printable(v.From))
	row("to", printable(v.To))
	row("parts submitted", strconv.Itoa(v.Parts))
	row("body bytes", strconv.Itoa(v.Bytes))
	return w.Flush()
}

// entryStats are the counts `journal stats` prints.
type entryStats struct {
	total, unreadable                   int
	oldest, newest                      gateway.EntryView
	state, kind, direction, route, outc map[string]int
}

func newEntryStats() *entryStats {
	return &entryStats{state: map[string]int{}, kind: map[string]int{}, direction: map[string]int{},
		route: map[string]int{}, outc: map[string]int{}}
}

func (s *entryStats) add(v gateway.EntryView) {
	if s.total == 0 || v.Received.Before(s.oldest.Received) {
		s.oldest = v
	}
	if s.total == 0 || v.Received.After(s.newest.Received) {
		s.newest = v
	}
	s.total++
	s.state[v.State]++
	s.kind[v.Kind]++
	s.direction[directionOf(v)]++
	s.route[printable(v.Route)]++
	s.outc[v.Outcome]++
}

func (s *entryStats) write(out io.Writer) error {
	w := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintf(w, "entries\t%d\n", s.total)
	if s.total > 0 {
		fmt.Fprintf(w, "oldest\t%s\t(seq %d)\n", formatTime(s.oldest.Received), s.oldest.Seq)
		fmt.Fprintf(w, "newest\t%s\t(seq %d)\n", formatTime(s.newest.Received), s.newest.Seq)
	}
	if s.unreadable > 0 {
		fmt.Fprintf(w, "unreadable\t%d\n", s.unreadable)
	}
	for _, g := range []struct {
		title  string
		counts map[string]int
	}{{"STATE", s.state}, {"KIND", s.kind}, {"DIRECTION", s.direction}, {"ROUTE", s.route}, {"OUTCOME", s.outc}} {
		fmt.Fprintf(w, "\n%s\tCOUNT\n", g.title)
		for _, k := range slices.Sorted(maps.Keys(g.counts)) {
			fmt.Fprintf(w, "%s\t%d\n", k, g.counts[k])
		}
	}
	return w.Flush()
}

// cpmRouteName is the route the gateway journals deliveries toward CPM
// users on.
const cpmRouteName = "cpm"

// selectionHelp explains the selection flags; the commands that take them
// append it to their help.
const selectionHelp = `
Selection: every filter given must match. --network is the legacy network an
entry involves: for a message toward CPM users the network it came from (sms,
mms, imps, as journaled); for a message from a CPM user the network of its
route, which the configuration says (--config FILE; default: the sandbox's
routes sim-smsc, mm7 and imps); MO fragments are sms; cpm selects what involves
no legacy network (reports toward CPM users). --route-name matches route
names directly, without a configuration. --status dead selects dead letters
(failed or expired for good); the other statuses are the outcome.`

// selectionFlags are the flags that choose entries, shared by replay and
// the journal commands.
type selectionFlags struct {
	since, until, direction, network, address, status, id, kind, config string
	routeNames                                                          []string
}

func (f *selectionFlags) register(cmd *cobra.Command, kind string) {
	fs := cmd.Flags()
	fs.StringVar(&f.since, "since", "", "only entries received at or after this time: RFC 3339, or a duration ago (90m, 2h, 3d)")
	fs.StringVar(&f.until, "until", "", "only entries received before this time: RFC 3339, or a duration ago")
	fs.StringVar(&f.direction, "direction", "", "only "+gateway.ToLegacy+" (from CPM users) or "+gateway.ToCPM+" (toward CPM users)")
	fs.StringVar(&f.network, "network", "", "only entries involving this network: sms, mms, imps or cpm (see Selection above)")
	fs.StringSliceVar(&f.routeNames, "route-name", nil, "only entries on these routes (cpm: deliveries toward CPM users)")
	fs.StringVar(&f.config, "config", "", "the iwf configuration whose routes --network resolves (default: the sandbox)")
	fs.StringVar(&f.address, "address", "", "only entries from or to a matching address ('*' matches any run of characters; without one, any part of the address)")
	fs.StringVar(&f.status, "status", "", "only entries with this status: pending, delivered, submitted, failed, expired, or dead")
	fs.StringVar(&f.id, "id", "", "only entries with this imdn.Message-ID (a report has the id of the message it reports on)")
	fs.StringVar(&f.kind, "kind", kind, "only entries of this kind: message, report, fragment or all")
	cmd.Long = strings.TrimSpace(cmd.Short+".\n"+cmd.Long) + "\n" + selectionHelp
}

// given reports whether any filter narrows the selection (--kind aside).
func (f *selectionFlags) given() bool {
	return f.since != "" || f.until != "" || f.direction != "" || f.network != "" || len(f.routeNames) > 0 ||
		f.address != "" || f.status != "" || f.id != ""
}

// selection checks the flags and builds the filter; times "ago" count from
// now.
func (f *selectionFlags) selection(now time.Time) (*entrySelection, error) {
	s := &entrySelection{direction: f.direction, network: f.network, routeNames: f.routeNames,
		address: strings.TrimSpace(f.address), status: f.status, id: f.id, unknownRoutes: map[string]bool{}}
	var err error
	if f.since != "" {
		if s.since, err = parseWhen(f.since, now); err != nil {
			return nil, fmt.Errorf("--since %w", err)
		}
	}
	if f.until != "" {
		if s.until, err = parseWhen(f.until, now); err != nil {
			return nil, fmt.Errorf("--until %w", err)
		}
	}
	if !s.since.IsZero() && !s.until.IsZero() && !s.since.Before(s.until) {
		return nil, errors.New("--since must be before --until")
	}
	for _, c := range []struct {
		flag, value string
		allowed     []string
	}{
		{"--direction", f.direction, []string{gateway.ToLegacy, gateway.ToCPM}},
		{"--network", f.network, []string{gateway.NetworkSMS, gateway.NetworkMMS, gateway.NetworkIMPS, gateway.NetworkCPM}},
		{"--status", f.status, []string{"pending", "delivered", "submitted", "failed", "expired", "dead"}},
		{"--kind", f.kind, []string{"message", "report", "fragment", "all"}},
	} {
		if c.value != "" && !slices.Contains(c.allowed, c.value) {
			return nil, fmt.Errorf("%s %q: want one of %s", c.flag, c.value, strings.Join(c.allowed, ", "))
		}
	}
	if f.kind != "all" {
		s.kind = f.kind
	}
	if s.network != "" {
		if s.routeNetworks, err = f.routeNetworks(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// routeNetworks maps the route names of the configuration to their
// networks.
func (f *selectionFlags) routeNetworks() (map[string]string, error) {
	cfg, err := loadConfig(f.config)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	return routeNetworksOf(cfg), nil
}

func routeNetworksOf(cfg *config.Config) map[string]string {
	m := map[string]string{}
	for _, s := range cfg.SMPP {
		m[s.Name] = gateway.NetworkSMS
	}
	if cfg.MM7 != nil {
		m[cfg.MM7.Name] = gateway.NetworkMMS
	}
	if cfg.IMPS != nil {
		m[cfg.IMPS.Name] = gateway.NetworkIMPS
	}
	return m
}

// parseWhen reads an RFC 3339 time, or a duration before now ("90m", "2h",
// "3d").
func parseWhen(v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(v, "d"); ok {
		var n uint64
		n, err = strconv.ParseUint(days, 10, 16)
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(v)
	}
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("%q: want an RFC 3339 time (2026-11-27T10:00:00Z) or a duration ago (90m, 2h, 3d)", v)
	}
	return now.Add(-d), nil
}

// entrySelection is a checked set of filters.
type entrySelection struct {
	since, until  time.Time // zero: unbounded
	direction     string
	network       string
	routeNetworks map[string]string // route name -> network, when network is set
	routeNames    []string
	address       string
	status        string
	id            string
	kind          string // empty: every kind
	// unknownRoutes collects the routes --network could not resolve.
	unknownRoutes map[string]bool
}

func (s *entrySelection) matches(v gateway.EntryView) bool {
	switch {
	case s.kind != "" && v.Kind != s.kind:
	case !s.since.IsZero() && v.Received.Before(s.since):
	case !s.until.IsZero() && !v.Received.Before(s.until):
	case s.direction != "" && directionOf(v) != s.direction:
	case len(s.routeNames) > 0 && !slices.Contains(s.routeNames, v.Route):
	case s.status != "" && !statusIs(v, s.status):
	case s.id != "" && v.ID != s.id:
	case s.address != "" && !v.Matches(s.address):
	case s.network != "" && s.networkOf(v) != s.network:
	default:
		return true
	}
	return false
}

// states are the journal states that can hold what s selects.
func (s *entrySelection) states() []journal.State {
	switch s.status {
	case "pending":
		return []journal.State{journal.Open}
	case "delivered", "submitted":
		return []journal.State{journal.Done}
	case "failed", "expired": // dead letters, and those discarded by the operator
		return []journal.State{journal.Done, journal.Dead}
	case "dead":
		return []journal.State{journal.Dead}
	}
	return []journal.State{journal.Open, journal.Done, journal.Dead}
}

// networkOf is the legacy network an entry involves (see selectionHelp).
func (s *entrySelection) networkOf(v gateway.EntryView) string {
	switch {
	case v.Kind == "fragment":
		return gateway.NetworkSMS
	case directionOf(v) == gateway.ToCPM && v.Network != "":
		return v.Network
	case directionOf(v) == gateway.ToCPM:
		return gateway.NetworkCPM
	}
	n, ok := s.routeNetworks[v.Route]
	if !ok {
		s.unknownRoutes[v.Route] = true
	}
	return n
}

// warn says which routes --network could not resolve.
func (s *entrySelection) warn(w io.Writer) {
	if len(s.unknownRoutes) > 0 {
		fmt.Fprintf(w, "warning: routes not in the configuration matched no --network (give --config): %s\n",
			strings.Join(slices.Sorted(maps.Keys(s.unknownRoutes)), ", "))
	}
}

func directionOf(v gateway.EntryView) string {
	if v.Route == cpmRouteName || v.Kind == "fragment" {
		return gateway.ToCPM
	}
	return gateway.ToLegacy
}

func statusIs(v gateway.EntryView, status string) bool {
	if status == "dead" {
		return v.State == journal.Dead.String()
	}
	return v.Outcome == status
}
