package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/journal"
	"github.com/iwf-gateway/iwf/translate"
)

// SMPP command_status values the gateway answers deliver_sm with.
const (
	statusInvalidSource = 0x0000000A // ESME_RINVSRCADR
	statusInvalidDest   = 0x0000000B // ESME_RINVDSTADR
	statusRejected      = 0x00000065 // ESME_RX_R_APPN: permanent, do not retry
	statusTryLater      = 0x00000064 // ESME_RX_T_APPN: temporary, retry later
)

func smppStatus(status uint32) error {
	return &smpp.StatusError{Status: status, Command: "deliver_sm_resp"}
}

// HandleDeliver is the smpp.DeliverFunc of the SMSC route: it journals an
// MO SMS (or fragment of one) or correlates a delivery receipt, and
// returns nil only once the journal holds what it must. A temporary error
// makes the SMSC send the deliver_sm again.
func (g *Gateway) HandleDeliver(ctx context.Context, route string, sm *smpp.ShortMessage) error {
	if g.closing.Load() {
		return smppStatus(statusTryLater)
	}
	rc, isReceipt, err := translate.ParseReceipt(sm)
	if isReceipt {
		if err != nil {
			g.stats.rejected.Add(1)
			g.log.Warn("unreadable delivery receipt refused", "route", route, "err", err)
			return smppStatus(statusRejected)
		}
		return g.handleReceipt(ctx, route, rc)
	}
	seg, err := translate.DecodeSMS(sm)
	if err != nil || seg.Binary {
		g.stats.rejected.Add(1)
		g.log.Warn("MO SMS refused", "route", route, "err", err, "binary", seg.Binary)
		return smppStatus(statusRejected)
	}
	from, to, err := g.moAddresses(sm)
	if err != nil {
		g.stats.rejected.Add(1)
		return err
	}
	if seg.Total > 1 {
		return g.acceptFragment(ctx, route, sm, seg, to)
	}
	m := g.moMessage(from, to, seg.Text)
	return g.acceptMO(ctx, route, m, moDedupeKey(route, sm))
}

// moAddresses maps the originator and recipient of an MO SMS to CPM
// addresses; whatever reaches iwf is for a CPM user.
func (g *Gateway) moAddresses(sm *smpp.ShortMessage) (from, to cpm.Address, err error) {
	src, err := g.deps.Addresses.FromSMPP(sm.Source.Addr, sm.Source.TON, sm.Source.NPI)
	if err != nil {
		return "", "", smppStatus(statusInvalidSource)
	}
	dst, err := g.deps.Addresses.FromSMPP(sm.Dest.Addr, sm.Dest.TON, sm.Dest.NPI)
	if err != nil || !dst.Replyable() {
		return "", "", smppStatus(statusInvalidDest)
	}
	domain := g.deps.CPMOut.Domain
	return cpm.Address(g.deps.Addresses.CPMAddress(src, domain)), cpm.Address(g.deps.Addresses.CPMAddress(dst, domain)), nil
}

func (g *Gateway) moMessage(from, to cpm.Address, text string) cpm.Message {
	return cpm.Message{
		ID: newID(), From: from, To: to, DateTime: g.now().UTC(),
		Parts: []cpm.Part{{ContentType: "text/plain;charset=utf-8", Body: []byte(text)}},
	}
}

// moDedupeKey identifies a deliver_sm by its content, so one the SMSC
// sends twice (its resp was lost) is recognised within MODedupeWindow.
func moDedupeKey(route string, sm *smpp.ShortMessage) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%s\x00%d\x00%d\x00", route, sm.Source.Addr, sm.Source.TON, sm.Dest.Addr, sm.DataCoding, sm.ESMClass)
	h.Write(sm.Message)
	for _, t := range sm.TLVs {
		fmt.Fprintf(h, "\x00%d\x00", t.Tag)
		h.Write(t.Value)
	}
	return "d/" + hex.EncodeToString(h.Sum(nil)[:16])
}

// acceptMO journals a whole MO message for delivery to its CPM user.
func (g *Gateway) acceptMO(ctx context.Context, route string, m cpm.Message, key string) error {
	start := g.now()
	if !g.dedupe.begin(key) {
		g.stats.duplicates.Add(1)
		return nil
	}
	defer g.dedupe.end(key)
	switch rep, err := g.repeated(ctx, key, g.cfg.MODedupeWindow); {
	case err != nil:
		g.stats.journalErrors.Add(1)
		return smppStatus(statusTryLater)
	case rep:
		g.stats.duplicates.Add(1)
		g.log.Info("repeated deliver_sm dropped", "route", route)
		return nil
	}
	it := g.moItem(m, NetworkSMS)
	if g.cluster != nil {
		c := &creation{once: key, window: g.cfg.MODedupeWindow, items: []*item{it}, refs: [][]string{{key}}, start: start}
		if err := g.place(ctx, g.canonicalAddress(string(m.To)), c); err != nil {
			g.stats.journalErrors.Add(1)
			g.log.Error("journal: MO neither saved nor handed to its owner; asking the SMSC to retry", "route", route, "err", err)
			return smppStatus(statusTryLater)
		}
		return nil
	}
	entries := []journal.Entry{entryOf(it, journal.Open, key)}
	if err := g.put(ctx, entries); err != nil {
		g.stats.journalErrors.Add(1)
		g.log.Error("journal: MO not saved; asking the SMSC to retry", "route", route, "err", err)
		return smppStatus(statusTryLater)
	}
	it.seq = entries[0].Seq
	g.stats.acceptedSMS.Add(1)
	g.log.Info("MO SMS accepted", "seq", it.seq, "route", route, "id", m.ID, "from", m.From, "to", m.To)
	g.accepted(it, start)
	return nil
}

// moItem is a message from a user of network origin to a CPM user.
func (g *Gateway) moItem(m cpm.Message, origin string) *item {
	now := g.now()
	return &item{kind: kindMessage, route: cpmRoute, received: now, expiry: now.Add(g.cfg.Validity), msg: m, origin: origin}
}

// accepted enqueues a newly journaled item and reports it.
func (g *Gateway) accepted(it *item, start time.Time) {
	e := g.itemEvent(EventAccepted, it)
	e.Latency = g.now().Sub(start)
	g.emit(e) // before a worker owns it, and before its outcome is reported
	g.enqueue(it)
}

// acceptFragment journals one part of a concatenated MO SMS, then hands it
// to the reassembler; the part that completes the message journals the
// whole message and closes the fragments in one write. With a shared
// journal the fragment goes to the partition of its recipient to, so the
// parts of one message meet at one owner, whichever bind they came on.
func (g *Gateway) acceptFragment(ctx context.Context, route string, sm *smpp.ShortMessage, seg translate.Segment, to cpm.Address) error {
	now := g.now()
	it := &item{kind: kindFragment, route: route, received: now, fragment: *sm}
	ref := "f/" + route + "/" + sm.Source.Addr + "/" + sm.Dest.Addr + "/" + strconv.Itoa(int(seg.Ref)) +
		"/" + strconv.Itoa(int(seg.Total)) + "/" + strconv.Itoa(int(seg.Seq))
	if g.cluster != nil {
		if err := g.place(ctx, g.canonicalAddress(string(to)), &creation{items: []*item{it}, refs: [][]string{{ref}}, start: now}); err != nil {
			g.stats.journalErrors.Add(1)
			g.log.Error("journal: MO fragment neither saved nor handed to its owner; asking the SMSC to retry", "route", route, "err", err)
			return smppStatus(statusTryLater)
		}
		return nil
	}
	entries := []journal.Entry{entryOf(it, journal.Open, ref)}
	if err := g.put(ctx, entries); err != nil {
		g.stats.journalErrors.Add(1)
		g.log.Error("journal: MO fragment not saved; asking the SMSC to retry", "route", route, "err", err)
		return smppStatus(statusTryLater)
	}
	it.seq = entries[0].Seq
	done, repeat, err := g.mo.add(route, it.seq, seg, now)
	switch {
	case errors.Is(err, translate.ErrReassemblyFull):
		g.closeEntries(ctx, []uint64{it.seq})
		return smppStatus(statusTryLater)
	case err != nil:
		g.closeEntries(ctx, []uint64{it.seq})
		g.stats.rejected.Add(1)
		return smppStatus(statusRejected)
	case repeat:
		g.stats.duplicates.Add(1)
		g.closeEntries(ctx, []uint64{it.seq})
		return nil
	}
	g.stats.fragments.Add(1)
	if done != nil {
		g.completeMO(ctx, done)
	}
	return nil
}

// fragmentCreated hands a fragment journaled for the owner of its
// partition (a shared journal) to the reassembler. The source had its
// answer already: a fragment the reassembler has no room for is parked
// and offered again, one it refuses is closed, and both are logged and
// counted.
func (g *Gateway) fragmentCreated(ctx context.Context, it *item) {
	seg, err := decodeFragment(&it.fragment)
	if err != nil {
		g.stats.rejected.Add(1)
		g.log.Error("unreadable MO fragment closed", "seq", it.seq, "route", it.route, "err", err)
		g.closeEntries(ctx, []uint64{it.seq})
		return
	}
	done, repeat, err := g.mo.add(it.route, it.seq, seg, it.received)
	switch {
	case errors.Is(err, translate.ErrReassemblyFull):
		g.log.Warn("MO reassembly full; fragment parked", "seq", it.seq, "route", it.route)
		g.mo.park(it.seq)
		return
	case err != nil:
		g.stats.rejected.Add(1)
		g.log.Error("MO fragment refused by reassembly and closed", "seq", it.seq, "route", it.route, "err", err)
		g.closeEntries(ctx, []uint64{it.seq})
		return
	case repeat:
		g.stats.duplicates.Add(1)
		g.closeEntries(ctx, []uint64{it.seq})
		return
	}
	g.stats.fragments.Add(1)
	if done != nil {
		g.completeMO(ctx, done)
	}
}

// retryParked offers the parked fragments to the reassembler again.
func (g *Gateway) retryParked(ctx context.Context) {
	for _, seq := range g.mo.unpark() {
		it, err := g.load(ctx, work{seq: seq})
		switch {
		case errors.Is(err, errHandedOver):
			g.letGo(seq)
		case err != nil:
			g.mo.park(seq)
		case it != nil && it.kind == kindFragment:
			g.fragmentCreated(ctx, it)
		}
	}
}

// completeMO journals a reassembled message and closes its fragments in
// one write. On failure the fragments stay open and are reassembled again
// at the next start.
func (g *Gateway) completeMO(ctx context.Context, a *assembled) {
	src, dst := a.msg.Source, a.msg.Dest
	from, to, err := g.moAddresses(&smpp.ShortMessage{Source: src, Dest: dst})
	if err != nil {
		g.log.Error("reassembled MO has unusable addresses; fragments closed", "route", a.route, "err", err)
		g.closeEntries(ctx, a.seqs)
		return
	}
	it := g.moItem(g.moMessage(from, to, a.msg.Text), NetworkSMS)
	entries := []journal.Entry{entryOf(it, journal.Open)}
	for _, seq := range a.seqs {
		entries = append(entries, journal.Entry{Seq: seq, State: journal.Done, Kind: uint8(kindFragment)})
	}
	if err := g.put(context.WithoutCancel(ctx), entries); err != nil {
		if len(a.seqs) > 0 && g.handedOver(a.seqs[0], err) {
			g.letGo(a.seqs[0]) // the new owner reassembles the fragments
			return
		}
		g.log.Error("journal: reassembled MO not saved; fragments kept for the next start", "route", a.route, "err", err)
		return
	}
	it.seq = entries[0].Seq
	g.stats.acceptedSMS.Add(1)
	g.log.Info("MO SMS reassembled", "seq", it.seq, "route", a.route, "parts", a.msg.Total,
		"missing", a.msg.Missing, "from", from, "to", to)
	g.accepted(it, it.received)
}

// closeEntries marks entries Done, keeping nothing of them.
func (g *Gateway) closeEntries(ctx context.Context, seqs []uint64) {
	if len(seqs) == 0 {
		return
	}
	entries := make([]journal.Entry, len(seqs))
	for i, seq := range seqs {
		entries[i] = journal.Entry{Seq: seq, State: journal.Done, Kind: uint8(kindFragment)}
	}
	if err := g.put(context.WithoutCancel(ctx), entries); err != nil {
		if g.handedOver(seqs[0], err) {
			g.letGo(seqs[0])
			return
		}
		g.log.Warn("journal: could not close fragment entries", "err", err)
	}
}

// expireReassembly delivers MO messages whose missing parts never came,
// with a visible gap marker (translate.GapMarker) where text is lost.
func (g *Gateway) expireReassembly() {
	for _, a := range g.mo.expire(g.now()) {
		g.completeMO(context.Background(), &a)
	}
	g.retryParked(context.Background())
}
