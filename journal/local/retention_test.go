package local

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/journal"
)

// fakeClock is a clock the test moves.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func openClock(t *testing.T, cfg Config, c *fakeClock) *Journal {
	t.Helper()
	cfg.Path = filepath.Join(t.TempDir(), "journal.db")
	j, err := open(cfg, nil, c.now)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func put(t *testing.T, j *Journal, es ...journal.Entry) []journal.Entry {
	t.Helper()
	if err := j.Put(context.Background(), es); err != nil {
		t.Fatalf("Put: %v", err)
	}
	return es
}

func TestRetentionPurge(t *testing.T) {
	clock := &fakeClock{}
	clock.ns.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	j := openClock(t, Config{NoSync: true, Retention: time.Hour, PurgeInterval: time.Hour}, clock)
	ctx := context.Background()

	old := put(t, j,
		journal.Entry{State: journal.Done, Refs: []string{"old-msg", "shared"}},
		journal.Entry{State: journal.Dead, Refs: []string{"dead-msg"}},
		journal.Entry{State: journal.Open, Refs: []string{"open-msg"}},
		journal.Entry{State: journal.Open, Refs: []string{"late-msg"}})
	clock.advance(30 * time.Minute)
	rebound := put(t, j, journal.Entry{State: journal.Open, Refs: []string{"shared"}})[0]
	old[3].State = journal.Done // became Done 30 minutes after the others
	put(t, j, old[3])
	clock.advance(31 * time.Minute)

	n, err := j.purge(clock.now())
	if err != nil || n != 1 {
		t.Fatalf("purge = %d, %v; want 1 entry", n, err)
	}
	if _, err := j.Get(ctx, old[0].Seq); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("expired Done entry still there: %v", err)
	}
	if _, err := j.Lookup(ctx, "old-msg"); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("expired entry's ref still bound: %v", err)
	}
	if seq, err := j.Lookup(ctx, "shared"); err != nil || seq != rebound.Seq {
		t.Errorf("ref rebound to a live entry = %d, %v; want %d", seq, err, rebound.Seq)
	}
	for _, e := range old[1:] {
		if _, err := j.Get(ctx, e.Seq); err != nil {
			t.Errorf("%v entry %d purged too early: %v", e.State, e.Seq, err)
		}
	}
	clock.advance(time.Hour)
	if n, err := j.purge(clock.now()); err != nil || n != 1 {
		t.Errorf("second purge = %d, %v; want the late Done entry only", n, err)
	}
	s := j.Stats()
	if s.Done != 0 || s.Dead != 1 || s.Open != 2 || s.Purged != 2 {
		t.Errorf("Stats after purges = %+v", s)
	}
	next := put(t, j, journal.Entry{State: journal.Open})[0]
	if next.Seq <= rebound.Seq {
		t.Errorf("Seq after purge = %d, want above %d", next.Seq, rebound.Seq)
	}
}

// TestRetentionPurgeManyBatches purges more entries than one transaction
// takes, and the Seq high water survives purging the newest entry.
func TestRetentionPurgeManyBatches(t *testing.T) {
	clock := &fakeClock{}
	path := filepath.Join(t.TempDir(), "journal.db")
	cfg := Config{Path: path, NoSync: true, Retention: time.Minute, PurgeInterval: time.Hour}
	j, err := open(cfg, nil, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	const total = 2*purgeBatch + 17
	var last uint64
	for done := 0; done < total; {
		es := make([]journal.Entry, min(500, total-done))
		for i := range es {
			es[i] = journal.Entry{State: journal.Done, Refs: []string{string(rune('A'+i%26)) + time.Duration(done+i).String()}}
		}
		put(t, j, es...)
		done += len(es)
		last = es[len(es)-1].Seq
	}
	clock.advance(2 * time.Minute)
	if n, err := j.purge(clock.now()); err != nil || n != total {
		t.Fatalf("purge = %d, %v; want %d", n, err, total)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, err = open(cfg, nil, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if s := j.Stats(); s.Done != 0 {
		t.Errorf("Done count after purge and reopen = %d", s.Done)
	}
	if next := put(t, j, journal.Entry{State: journal.Open})[0]; next.Seq <= last {
		t.Errorf("Seq after purging everything and reopening = %d, want above %d", next.Seq, last)
	}
}

// TestRetentionInBackground: the Journal's own goroutine purges.
func TestRetentionInBackground(t *testing.T) {
	j := openTest(t, Config{NoSync: true, Retention: time.Nanosecond, PurgeInterval: time.Millisecond})
	e := put(t, j, journal.Entry{State: journal.Done, Refs: []string{"bg"}})[0]
	for i := 0; i < 10000 && j.Stats().Purged == 0; i++ {
		time.Sleep(time.Millisecond)
	}
	if _, err := j.Get(context.Background(), e.Seq); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("background purge left entry %d: %v (stats %+v)", e.Seq, err, j.Stats())
	}
}
