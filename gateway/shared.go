package gateway

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iwf-gateway/iwf/journal"
)

// Several instances on one shared journal (journal.Shared).
//
// New work is partitioned by recipient: what a source hands in (a
// message and its copies, an MO fragment) is created in the partition of
// the recipient's canonical address, by this instance when it owns that
// partition, else by the owner, to which it travels as a letter (drawn
// at encodeLetter). The source's positive answer waits for the PutIn or
// the Send: either is durable. A report (SMSC receipt, MM7
// delivery report or read reply, IMPS delivery report) for an entry of a
// partition owned elsewhere travels the same way to the entry's owner,
// which handles it as if it had received it.
//
// When partitions are gained, their open entries are restored as at
// start. When partitions are lost, their queued work and timers are
// dropped; work in flight finds out when its journal read or write fails
// with journal.ErrNotOwner (or the entry is no longer visible) and lets
// the entry go: the new owner does it. Either way it is counted, never
// failed, dead-lettered or retried here.
//
// An empty ownership is a rebalance under way: nothing is decided until
// the next non-empty one, so partitions an instance keeps across a
// rebalance keep their work. Work dropped because its partition was not
// owned marks the partition for a resync (its tokens dropped, its open
// entries restored) when this instance owns it (again), which covers an
// instance that missed a change of ownership between two looks.
//
// Locks: cluster.restoring before cluster.mu (an entry lock may be held
// around both); cluster.mu is held across no call but Ownership.

// errHandedOver: the entry belongs, now, to another instance.
var errHandedOver = errors.New("gateway: entry handed over to another instance")

// cluster is the gateway's side of a shared journal.
type cluster struct {
	j journal.Shared

	// mu guards active, resync and restored, and is held while
	// ownership is read to decide on them (see rebalance and letGo).
	mu     sync.Mutex
	active map[int]bool // partitions whose work this instance holds
	resync map[int]bool // partitions to drop and restore again when owned
	// restored are the active partitions whose open entries are back at
	// work; restoredChanged is closed and replaced when it grows. New
	// entries of an owned partition are created only once it is
	// restored, so that restore does not queue them a second time.
	restored        map[int]bool
	restoredChanged chan struct{}
	kick            chan struct{}
	// restoring is held for writing while the work of gained partitions
	// is dropped and restored, and for reading while new entries are
	// created and queued, so a new entry is queued either before (and
	// restored from the journal) or after, never twice.
	restoring sync.RWMutex

	lettersSent, lettersHandled, lettersBad atomic.Int64
	reportsForwarded, handedOver            atomic.Int64
}

// newCluster returns the cluster of j, or nil when j is not shared.
func newCluster(j journal.Journal) *cluster {
	s, ok := j.(journal.Shared)
	if !ok {
		return nil
	}
	return &cluster{j: s, active: map[int]bool{}, resync: map[int]bool{}, restored: map[int]bool{},
		restoredChanged: make(chan struct{}), kick: make(chan struct{}, 1)}
}

// isRestored reports whether the work of partition p is restored here.
func (c *cluster) isRestored(p int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.restored[p]
}

// awaitRestored waits while this instance owns partition p but has not
// restored its work yet; false means ctx ended first.
func (c *cluster) awaitRestored(ctx context.Context, p int) bool {
	for {
		owned, changed := c.j.Ownership()
		c.mu.Lock()
		restored, grown := c.restored[p], c.restoredChanged
		c.mu.Unlock()
		if _, ok := slices.BinarySearch(owned, p); !ok || restored {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-changed:
		case <-grown:
		}
	}
}

// owns reports whether this instance owns partition p now.
func (c *cluster) owns(p int) bool {
	owned, _ := c.j.Ownership()
	_, ok := slices.BinarySearch(owned, p)
	return ok
}

// lost reports whether partition p is owned by another instance: this
// one owns partitions, and p is not among them. (Nothing is lost while
// the instances rebalance.)
func (c *cluster) lost(p int) bool {
	owned, _ := c.j.Ownership()
	_, ok := slices.BinarySearch(owned, p)
	return len(owned) > 0 && !ok
}

// SharedStats is what one instance on a shared journal exchanged with the
// others.
type SharedStats struct {
	Shared bool  // the journal is shared; the counts below are zero otherwise
	Owned  []int // partitions owned now (none while the instances rebalance)
	// LettersSent counts letters handed to the owners of other
	// partitions (new work and reports); ReportsForwarded counts the
	// reports among them.
	LettersSent, ReportsForwarded int64
	// LettersHandled counts letters this instance took as owner;
	// LettersBad the unreadable ones, logged and dropped.
	LettersHandled, LettersBad int64
	// HandedOver counts work let go because its partition moved to
	// another instance: queued work, timers, attempts in flight.
	HandedOver int64
}

// SharedStats returns the counts of the shared journal's traffic.
func (g *Gateway) SharedStats() SharedStats {
	c := g.cluster
	if c == nil {
		return SharedStats{}
	}
	owned, _ := c.j.Ownership()
	return SharedStats{
		Shared: true, Owned: owned,
		LettersSent: c.lettersSent.Load(), ReportsForwarded: c.reportsForwarded.Load(),
		LettersHandled: c.lettersHandled.Load(), LettersBad: c.lettersBad.Load(),
		HandedOver: c.handedOver.Load(),
	}
}

// startShared starts the ownership and letter loops (Run joins them).
func (g *Gateway) startShared(popCtx, attemptCtx context.Context) {
	if g.cluster == nil {
		return
	}
	g.start(func() { g.followOwnership(popCtx) })
	g.start(func() { g.readLetters(popCtx, attemptCtx) })
}

// handedOver reports whether err, from reading or writing the entry of
// seq, says that the entry now belongs to another instance.
func (g *Gateway) handedOver(seq uint64, err error) bool {
	c := g.cluster
	if c == nil || err == nil {
		return false
	}
	if errors.Is(err, journal.ErrNotOwner) || errors.Is(err, errHandedOver) {
		return true
	}
	// Get sees owned partitions only.
	return errors.Is(err, journal.ErrNotFound) && !c.owns(c.j.PartitionOf(seq))
}

// letGo counts work dropped because the entry of seq was handed over, and
// marks its partition for a resync: should this instance own it (again),
// its open entries are restored rather than trusted to work that may have
// been dropped. Ownership is read under mu, as rebalance reads it, so
// either rebalance sees the mark or this sees the partition owned and
// wakes it.
func (g *Gateway) letGo(seq uint64) {
	c := g.cluster
	if c == nil {
		return
	}
	c.handedOver.Add(1)
	p := c.j.PartitionOf(seq)
	c.mu.Lock()
	c.resync[p] = true
	owned := c.owns(p)
	c.mu.Unlock()
	if owned {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
	g.log.Debug("work let go: its partition is owned by another instance", "seq", seq, "partition", p)
}

// putIn writes entries into partition p and remembers the highest
// sequence written.
func (g *Gateway) putIn(ctx context.Context, p int, entries []journal.Entry) error {
	if err := g.cluster.j.PutIn(ctx, p, entries); err != nil {
		return err
	}
	g.noteWritten(entries)
	return nil
}

// partitionOfUpdate returns, for a write that creates entries along with
// updating existing ones (an outcome and its report, a reassembled MO and
// its fragments), the partition of the updated entries: the new ones go
// with them, in one atomic write.
func (c *cluster) partitionOfUpdate(entries []journal.Entry) (int, bool) {
	if c == nil {
		return 0, false
	}
	var fresh bool
	var seq uint64
	for _, e := range entries {
		if e.Seq == 0 {
			fresh = true
		} else if seq == 0 {
			seq = e.Seq
		}
	}
	if !fresh || seq == 0 {
		return 0, false
	}
	return c.j.PartitionOf(seq), true
}

// putNear writes new entries into the partition of the entry seq (a
// report made from a report on it).
func (g *Gateway) putNear(ctx context.Context, seq uint64, entries []journal.Entry) error {
	if g.cluster == nil {
		return g.put(ctx, entries)
	}
	return g.putIn(ctx, g.cluster.j.PartitionOf(seq), entries)
}

// creation is what one input creates in one partition: new items with the
// refs of their entries, after a dedupe check.
type creation struct {
	// letterID, set when the creation travels as a letter, is bound to
	// the first entry, so a letter delivered again is recognised.
	letterID string
	// once is the input's dedupe ref (among the refs of the first item):
	// when it is bound already (within window; 0 means any age), the
	// input is a repeat and nothing is created.
	once   string
	window time.Duration
	items  []*item
	refs   [][]string // refs of each item's entry; nil or one per item
	// entries, when the source built them already (to check that they
	// fit the journal), are the items' entries, their refs aside: they
	// are written and sent as they are rather than encoded again. Nil
	// or one per item.
	entries []journal.Entry
	start   time.Time // when the input arrived (latency of the accept)
}

// place creates c in the partition of key: here when this instance owns
// it, otherwise by handing it to the owner as a letter. Either way c is
// durable when place returns nil.
func (g *Gateway) place(ctx context.Context, key string, c *creation) error {
	return g.placeIn(ctx, g.cluster.j.PartitionFor(key), c)
}

// placeIn is place into partition p.
func (g *Gateway) placeIn(ctx context.Context, p int, c *creation) error {
	cl := g.cluster
	if cl.owns(p) && cl.isRestored(p) {
		err := g.createIn(ctx, p, c)
		if !errors.Is(err, journal.ErrNotOwner) {
			return err
		}
	}
	c.letterID = "l/" + newID()
	if err := g.sendLetter(ctx, p, &letter{kind: letterCreate, create: *c}); err != nil {
		return err
	}
	g.log.Debug("new work handed to the owner of its partition", "partition", p, "items", len(c.items), "letter", c.letterID)
	return nil
}

// createIn journals c's items in partition p, which this instance owns,
// unless c is a repeat, and puts them to work: messages onto their
// queues, MO fragments into reassembly.
func (g *Gateway) createIn(ctx context.Context, p int, c *creation) error {
	fresh, err := g.freshCreation(ctx, p, c)
	if err != nil || !fresh {
		return err
	}
	entries := creationEntries(c)
	g.cluster.restoring.RLock()
	defer g.cluster.restoring.RUnlock()
	if err := g.putIn(ctx, p, entries); err != nil {
		return err
	}
	g.putToWork(ctx, c, entries)
	return nil
}

// freshCreation reports whether c is new: not a letter handled before,
// not a repeat of an input journaled within its window.
func (g *Gateway) freshCreation(ctx context.Context, p int, c *creation) (bool, error) {
	if c.letterID != "" {
		switch _, err := g.deps.Journal.Lookup(ctx, c.letterID); {
		case err == nil:
			return false, nil // this letter was handled before
		case !errors.Is(err, journal.ErrNotFound):
			return false, err
		}
	}
	if c.once != "" {
		rep, err := g.repeated(ctx, c.once, c.window)
		if err != nil {
			return false, err
		}
		if rep {
			g.stats.duplicates.Add(1)
			g.log.Info("repeated input dropped", "partition", p, "ref", c.once)
			return false, nil
		}
	}
	return true, nil
}

// refsOf returns the refs of item i's entry.
func (c *creation) refsOf(i int) []string {
	if i < len(c.refs) {
		return c.refs[i]
	}
	return nil
}

// creationEntries are the journal entries of c's items, the letter id
// bound to the first: copies of c.entries with c's refs, or encoded now.
func creationEntries(c *creation) []journal.Entry {
	entries := make([]journal.Entry, len(c.items))
	for i, it := range c.items {
		refs := c.refsOf(i)
		if i < len(c.entries) {
			entries[i] = c.entries[i]
			entries[i].Refs = refs
			continue
		}
		entries[i] = entryOf(it, journal.Open, refs...)
	}
	if c.letterID != "" {
		entries[0].Refs = append(slices.Clip(entries[0].Refs), c.letterID)
	}
	return entries
}

// putToWork takes c's items, journaled as entries, to work: messages
// onto their queues, MO fragments into reassembly.
func (g *Gateway) putToWork(ctx context.Context, c *creation, entries []journal.Entry) {
	for i, it := range c.items {
		it.seq = entries[i].Seq
		if it.kind == kindFragment {
			g.fragmentCreated(ctx, it)
			continue
		}
		g.created(it, c.start)
	}
}

// created counts, logs and queues a newly journaled message.
func (g *Gateway) created(it *item, start time.Time) {
	switch it.origin {
	case "":
		g.stats.acceptedCPM.Add(1)
	case NetworkSMS:
		g.stats.acceptedSMS.Add(1)
	case NetworkMMS:
		g.stats.acceptedMMS.Add(1)
	case NetworkIMPS:
		g.stats.acceptedIMPS.Add(1)
	}
	if start.IsZero() {
		start = it.received
	}
	g.log.Info("message accepted", "seq", it.seq, "origin", it.origin, "id", it.msg.ID, "from", it.msg.From, "to", it.msg.To,
		"route", it.route, "parts", len(it.msg.Parts), "bytes", it.msg.Size())
	g.accepted(it, start)
}

// followOwnership rebalances the work at each change of ownership (and
// when letGo asks) until ctx ends.
func (g *Gateway) followOwnership(ctx context.Context) {
	c := g.cluster
	for {
		_, changed := c.j.Ownership() // taken first, so no change is missed
		var retry <-chan time.Time
		if err := g.rebalance(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			g.log.Error("journal: work of gained partitions not restored; trying again", "err", err)
			retry = time.After(time.Second)
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-c.kick:
		case <-retry:
		}
	}
}

// rebalance drops the work of partitions lost and restores the open
// entries of partitions gained (or marked for a resync). While the
// instances rebalance (no partition owned) it decides nothing.
func (g *Gateway) rebalance(ctx context.Context) error {
	c := g.cluster
	c.mu.Lock()
	owned, _ := c.j.Ownership()
	if len(owned) == 0 {
		c.mu.Unlock()
		return nil
	}
	now := make(map[int]bool, len(owned))
	for _, p := range owned {
		now[p] = true
	}
	lost, gained := map[int]bool{}, map[int]bool{}
	for p := range c.active {
		if !now[p] {
			lost[p] = true
		}
	}
	for p := range now {
		if !c.active[p] || c.resync[p] {
			gained[p] = true
			delete(c.resync, p)
		}
	}
	c.active = now
	for p := range c.restored {
		if lost[p] || gained[p] {
			delete(c.restored, p)
		}
	}
	c.mu.Unlock()
	if len(lost) > 0 {
		n := g.dropWorkOf(lost)
		c.handedOver.Add(int64(n))
		g.log.Info("partitions handed over; their queued work dropped", "partitions", sortedKeys(lost), "dropped", n)
	}
	if len(gained) == 0 {
		return nil
	}
	c.restoring.Lock()
	g.dropWorkOf(gained) // replaced by what restore reads from the journal
	err := g.restorePartitions(ctx, func(seq uint64) bool { return gained[c.j.PartitionOf(seq)] })
	c.restoring.Unlock()
	c.mu.Lock()
	for p := range gained {
		if err != nil {
			c.resync[p] = true
		} else if c.active[p] {
			c.restored[p] = true
		}
	}
	close(c.restoredChanged)
	c.restoredChanged = make(chan struct{})
	c.mu.Unlock()
	if err != nil {
		return err
	}
	g.log.Info("partitions taken over", "partitions", sortedKeys(gained), "owned", owned)
	return nil
}

// dropWorkOf removes the queued work and the retry and expiry timers of
// entries in parts, and returns how many it removed. Attempts in flight
// find out by themselves (see letGo).
func (g *Gateway) dropWorkOf(parts map[int]bool) int {
	in := func(seq uint64) bool { return seq != 0 && parts[g.cluster.j.PartitionOf(seq)] }
	n := g.sched.dropIf(func(t timer) bool {
		return (t.action == actionRetry || t.action == actionExpire) && in(t.seq)
	})
	qs := []*workQueue{g.cpmQ}
	for _, r := range g.sms {
		qs = append(qs, r.q)
	}
	if g.mms != nil {
		qs = append(qs, g.mms.q)
	}
	if g.imps != nil {
		qs = append(qs, g.imps.q)
	}
	for _, q := range qs {
		n += q.dropIf(in)
	}
	return n
}

func sortedKeys(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
