package local

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/journal"
	"github.com/iwf-gateway/iwf/journal/journaltest"
)

// opener returns a journaltest opener for a fresh file under t.TempDir().
func opener(cfg Config) func(t *testing.T) func() journal.Journal {
	return func(t *testing.T) func() journal.Journal {
		cfg := cfg
		cfg.Path = filepath.Join(t.TempDir(), "journal.db")
		return func() journal.Journal {
			j, err := Open(cfg, nil)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			return j
		}
	}
}

func TestConformance(t *testing.T) {
	t.Run("fsync", func(t *testing.T) { journaltest.Run(t, opener(Config{})) })
	t.Run("nosync", func(t *testing.T) { journaltest.Run(t, opener(Config{NoSync: true})) })
	t.Run("small-batch-delay", func(t *testing.T) {
		journaltest.Run(t, opener(Config{NoSync: true, MaxBatch: 100, MaxDelay: 200 * time.Microsecond}))
	})
}

func openTest(t *testing.T, cfg Config) *Journal {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = filepath.Join(t.TempDir(), "journal.db")
	}
	j, err := Open(cfg, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func TestPutBounds(t *testing.T) {
	j := openTest(t, Config{NoSync: true, MaxBatch: 4})
	ok := journal.Entry{State: journal.Open, Refs: []string{"bound-ref"}}
	long := strings.Repeat("r", MaxRefSize+1)
	cases := []struct {
		name string
		bad  journal.Entry
		want error
	}{
		{"data", journal.Entry{State: journal.Open, Data: make([]byte, MaxDataSize+1)}, ErrTooLarge},
		{"refs", journal.Entry{State: journal.Open, Refs: make([]string, MaxRefs+1)}, ErrTooLarge},
		{"ref size", journal.Entry{State: journal.Open, Refs: []string{long}}, ErrTooLarge},
		{"empty ref", journal.Entry{State: journal.Open, Refs: []string{""}}, ErrInvalidEntry},
		{"state", journal.Entry{State: 4}, ErrInvalidEntry},
		{"time", journal.Entry{State: journal.Open, Time: time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)}, ErrInvalidEntry},
	}
	for _, tc := range cases {
		err := j.Put(context.Background(), []journal.Entry{ok, tc.bad})
		var ee *EntryError
		if !errors.Is(err, tc.want) || !errors.As(err, &ee) || ee.Index != 1 {
			t.Errorf("%s: Put = %v, want *EntryError at index 1 wrapping %v", tc.name, err, tc.want)
		}
	}
	err := j.Put(context.Background(), make([]journal.Entry, 5))
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("Put of 5 entries with max_batch 4 = %v, want ErrTooLarge", err)
	}
	if _, err := j.Lookup(context.Background(), "bound-ref"); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("rejected Put left its ref: %v", err)
	}
	if s := j.Stats(); s.Open+s.Done+s.Dead != 0 || s.Commits != 0 {
		t.Errorf("rejected Puts changed the store: %+v", s)
	}
	big := []journal.Entry{{State: journal.Open, Data: make([]byte, MaxDataSize), Refs: make([]string, MaxRefs)}}
	for i := range big[0].Refs {
		big[0].Refs[i] = strings.Repeat(string(rune('a'+i)), MaxRefSize)
	}
	if err := j.Put(context.Background(), big); err != nil {
		t.Fatalf("Put at the bounds: %v", err)
	}
	if got, err := j.Get(context.Background(), big[0].Seq); err != nil || len(got.Data) != MaxDataSize || len(got.Refs) != MaxRefs {
		t.Errorf("Get of entry at the bounds = %d data bytes, %d refs, %v", len(got.Data), len(got.Refs), err)
	}
}

// TestReplaceKeepsEarlierRefs: refs accumulate across versions of an
// entry; a ref another entry took stays with that entry.
func TestReplaceKeepsEarlierRefs(t *testing.T) {
	j := openTest(t, Config{NoSync: true})
	ctx := context.Background()
	a := []journal.Entry{{State: journal.Open, Refs: []string{"m1", "s1", "s2"}}}
	b := []journal.Entry{{State: journal.Open, Refs: []string{"s2"}}}
	for _, es := range [][]journal.Entry{a, b} {
		if err := j.Put(ctx, es); err != nil {
			t.Fatal(err)
		}
	}
	a[0].Refs = []string{"r9"}
	a[0].State = journal.Done
	if err := j.Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"m1", "s1", "r9"} {
		if seq, err := j.Lookup(ctx, ref); err != nil || seq != a[0].Seq {
			t.Errorf("ref %s = %d, %v; want %d", ref, seq, err, a[0].Seq)
		}
	}
	if seq, err := j.Lookup(ctx, "s2"); err != nil || seq != b[0].Seq {
		t.Errorf("ref s2 taken by a later entry = %d, %v; want %d", seq, err, b[0].Seq)
	}
	got, err := j.Get(ctx, a[0].Seq)
	if err != nil || len(got.Refs) != 3 {
		t.Errorf("Get refs = %q, %v; want r9, m1, s1 (s2 went to the later entry)", got.Refs, err)
	}
}

func TestStatsAndCountsPersist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j := openTest(t, Config{Path: path, NoSync: true})
	ctx := context.Background()
	es := make([]journal.Entry, 6)
	for i := range es {
		es[i].State = journal.Open
	}
	if err := j.Put(ctx, es); err != nil {
		t.Fatal(err)
	}
	es[0].State, es[1].State, es[2].State = journal.Done, journal.Done, journal.Dead
	if err := j.Put(ctx, es[:3]); err != nil {
		t.Fatal(err)
	}
	want := Stats{Open: 3, Done: 2, Dead: 1, Commits: 2, Entries: 9, Puts: 2}
	if s := j.Stats(); s != want {
		t.Errorf("Stats = %+v, want %+v", s, want)
	}
	if got := want.EntriesPerCommit(); got != 4.5 {
		t.Errorf("EntriesPerCommit = %v, want 4.5", got)
	}
	j.Close()
	j = openTest(t, Config{Path: path, NoSync: true})
	if s := j.Stats(); s.Open != 3 || s.Done != 2 || s.Dead != 1 {
		t.Errorf("Stats after reopen = %+v, want 3 open, 2 done, 1 dead", s)
	}
}

func TestConfigValidate(t *testing.T) {
	good := Config{Path: "x.db"}
	if err := good.Validate(); err != nil {
		t.Errorf("Validate(%+v) = %v", good, err)
	}
	bad := []Config{
		{},
		{Path: "x", MaxBatch: -1},
		{Path: "x", MaxBatch: maxMaxBatch + 1},
		{Path: "x", MaxDelay: -1},
		{Path: "x", MaxDelay: 2 * time.Second},
		{Path: "x", Retention: -time.Hour},
		{Path: "x", PurgeInterval: -time.Second},
	}
	for _, c := range bad {
		if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("Validate(%+v) = %v, want ErrInvalidConfig", c, err)
		}
		if _, err := Open(c, nil); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("Open(%+v) = %v, want ErrInvalidConfig", c, err)
		}
	}
	d := Config{Path: "x"}.withDefaults()
	if d.MaxBatch != DefaultMaxBatch || d.Retention != DefaultRetention || d.PurgeInterval != DefaultPurgeInterval || d.MaxDelay != DefaultMaxDelay {
		t.Errorf("defaults = %+v", d)
	}
}
