package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/iwf-gateway/iwf/adapters/mms/mm7"
	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/journal"
	"github.com/iwf-gateway/iwf/translate"
)

// HandleMM7 is the mms.Handler of the MM7 route: it journals an MMS for
// CPM users (DeliverReq) or correlates a delivery report or read reply
// with the message it reports on, and returns nil (the relay gets 1000)
// only once the journal holds what it must. An mm7.StatusCode error is
// answered with that status; StatusServiceUnavailable asks the relay to
// send again later.
func (g *Gateway) HandleMM7(ctx context.Context, route string, m mm7.Message) error {
	if g.closing.Load() {
		return mm7.StatusServiceUnavailable
	}
	switch op := m.Operation.(type) {
	case *mm7.DeliverReq:
		return g.acceptMMS(ctx, route, &m, op)
	case *mm7.DeliveryReportReq:
		return g.handleMMSReport(ctx, route, op)
	case *mm7.ReadReplyReq:
		return g.handleReadReply(ctx, route, op)
	}
	g.stats.rejected.Add(1)
	return mm7.StatusUnsupportedOperation
}

// acceptMMS journals an MO MMS as one CPM message per CPM recipient, all in
// one write, and drops a DeliverReq the relay sends again within the
// dedupe window.
func (g *Gateway) acceptMMS(ctx context.Context, route string, m *mm7.Message, req *mm7.DeliverReq) error {
	start := g.now()
	msg, err := translate.MessageFromDeliver(m)
	if err != nil {
		g.stats.rejected.Add(1)
		g.log.Warn("MO MMS refused", "route", route, "err", err)
		return mm7.StatusValidationError
	}
	from, err := g.mm7CPMAddress(req.Sender)
	if err != nil {
		g.stats.rejected.Add(1)
		g.log.Warn("MO MMS refused: unusable sender", "route", route, "err", err)
		return mm7.StatusAddressError
	}
	to := g.mmsRecipients(route, req)
	if len(to) == 0 {
		g.stats.rejected.Add(1)
		return mm7.StatusAddressError
	}
	if len(to) > maxRecipients {
		g.stats.rejected.Add(1)
		return mm7.StatusMultipleAddressesNotSupp
	}
	key := mmsDedupeKey(route, from, to, &msg)
	if !g.dedupe.begin(key) {
		g.stats.duplicates.Add(1)
		return nil
	}
	defer g.dedupe.end(key)
	switch rep, err := g.repeated(ctx, key, g.cfg.MODedupeWindow); {
	case err != nil:
		g.stats.journalErrors.Add(1)
		return mm7.StatusServiceUnavailable
	case rep:
		g.stats.duplicates.Add(1)
		g.log.Info("repeated DeliverReq dropped", "route", route)
		return nil
	}
	if err := g.acceptCopies(ctx, msg, from, to, NetworkMMS, key, start); err != nil {
		if errors.Is(err, errTooLargeToJournal) {
			// 2004: the content's size cannot be accepted (TS 23.140).
			g.log.Warn("MO MMS refused: too large to journal", "route", route, "bytes", msg.Size(), "err", err)
			return mm7.StatusContentRefused
		}
		g.log.Error("journal: MO MMS not saved; asking the relay to retry", "route", route, "err", err)
		return mm7.StatusServiceUnavailable
	}
	return nil
}

// mmsRecipients picks the CPM users of a DeliverReq. The relay lists every
// recipient of the MMS (To, Cc, Bcc), and those of other networks get it
// from their own: a recipient the address map gives to SMS, MMS or IMPS is
// skipped. When that leaves nobody and the MMS has a single recipient, the
// relay sent it to iwf for that one, who is then taken as a CPM user (as
// an MO SMS is).
func (g *Gateway) mmsRecipients(route string, req *mm7.DeliverReq) []cpm.Address {
	if req.Recipients == nil {
		return nil
	}
	var all, cpmUsers []cpm.Address
	for _, list := range []mm7.AddressList{req.Recipients.To, req.Recipients.Cc, req.Recipients.Bcc} {
		for _, a := range list {
			if a.DisplayOnly {
				continue
			}
			addr, err := g.mm7CPMAddress(&a)
			if err != nil {
				g.log.Warn("MO MMS recipient skipped", "route", route, "recipient", a.Value, "err", err)
				continue
			}
			all = append(all, addr)
			owner, err := g.deps.Addresses.Owner(string(addr))
			if err != nil || owner.Network == NetworkCPM {
				cpmUsers = append(cpmUsers, addr)
			}
		}
	}
	if len(cpmUsers) == 0 && len(all) == 1 {
		return all
	}
	return cpmUsers
}

// maxRecipients bounds the CPM copies one DeliverReq makes.
const maxRecipients = 64

// mm7CPMAddress maps an MM7 address to the CPM address of its user.
func (g *Gateway) mm7CPMAddress(a *mm7.Address) (cpm.Address, error) {
	if a == nil {
		return "", errors.New("no address")
	}
	text, err := translate.MM7AddressText(*a)
	if err != nil {
		return "", err
	}
	n, err := g.deps.Addresses.Normalize(text)
	if err != nil {
		return "", err
	}
	if !n.Replyable() {
		return "", fmt.Errorf("%s cannot be written to", n.String())
	}
	return cpm.Address(g.deps.Addresses.CPMAddress(n, g.deps.CPMOut.Domain)), nil
}

// mmsDedupeKey identifies a DeliverReq by its sender, recipients and
// content, so one the relay posts twice (its DeliverRsp was lost) is
// recognised within MODedupeWindow.
func mmsDedupeKey(route string, from cpm.Address, to []cpm.Address, m *cpm.Message) string {
	h := sha256.New()
	fmt.Fprintf(h, "mm7\x00%s\x00%s\x00%s\x00", route, from, m.Subject)
	for _, t := range to {
		fmt.Fprintf(h, "%s\x00", t)
	}
	for _, p := range m.Parts {
		fmt.Fprintf(h, "%s\x00%s\x00%d\x00", p.ContentType, p.ContentID, len(p.Body))
		h.Write(p.Body)
	}
	return "d/" + hex.EncodeToString(h.Sum(nil)[:16])
}

// handleMMSReport settles a message submitted to the relay from its
// DeliveryReportReq. Reports that are not final, repeated, or for unknown
// messages are acknowledged and counted.
func (g *Gateway) handleMMSReport(ctx context.Context, route string, req *mm7.DeliveryReportReq) error {
	status, final, err := translate.DeliveryReportStatus(req.MMStatus)
	if err != nil {
		g.log.Warn("MM7 delivery report with an unknown MMStatus", "route", route, "message_id", req.MessageID, "mm_status", req.MMStatus)
	}
	if !final {
		return nil
	}
	reason := "MM7 delivery report " + req.MMStatus
	if req.StatusText != "" {
		reason += ": " + req.StatusText
	}
	return g.settleLegacy(ctx, route, req.MessageID, status, reason)
}

// settleLegacy ends a message submitted on an MM7 or IMPS route from its
// final report. The answer to the peer is a temporary error only when the
// journal fails. A report on a message another instance of a shared
// journal owns is handed to that instance.
func (g *Gateway) settleLegacy(ctx context.Context, route, id string, status cpm.Status, reason string) error {
	seq, _, err := g.findRef(ctx, []string{legacyRef(route, id)})
	if errors.Is(err, journal.ErrNotFound) {
		g.stats.uncorrelated.Add(1)
		g.log.Warn("report for an unknown message", "route", route, "message_id", id, "status", status)
		return nil
	}
	if err != nil {
		g.stats.journalErrors.Add(1)
		return errTryLater
	}
	err = g.applyLegacyReport(ctx, route, seq, status, reason)
	if errors.Is(err, errHandedOver) {
		l := &letter{kind: letterReport, route: route, seq: seq, status: status, reason: reason}
		return g.forward(ctx, seq, l, errTryLater)
	}
	return err
}

// applyLegacyReport ends the entry seq from its final report. It returns
// errHandedOver when the entry belongs to another instance.
func (g *Gateway) applyLegacyReport(ctx context.Context, route string, seq uint64, status cpm.Status, reason string) error {
	if c := g.cluster; c != nil && !c.owns(c.j.PartitionOf(seq)) {
		return errHandedOver
	}
	unlock := g.locks.lock(seq)
	defer unlock()
	it, err := g.load(ctx, work{seq: seq})
	if errors.Is(err, errHandedOver) {
		return err
	}
	if err != nil {
		return errTryLater
	}
	if it == nil || !it.awaitingReceipts() {
		return nil // already settled: a repeated or late report
	}
	g.stats.receipts.Add(1)
	if status == cpm.Delivered {
		it.parts[0].status = partDelivered
		return g.settled(g.finishErr(ctx, it, outcomeDelivered, cpm.Delivered, reason), errTryLater)
	}
	it.parts[0].status = partFailed
	return g.settled(g.finishErr(ctx, it, outcomeFailed, status, reason), errTryLater)
}

// errTryLater is a report the journal could not take; the adapters map any
// error that is not their protocol's status to "try again later".
var errTryLater = errors.New("gateway: journal unavailable; try again later")

// handleReadReply turns a read reply into a display notification when the
// CPM sender asked for one and the MMS user read the message; a message
// deleted unread gets no display report (RFC 5438 has no status for it
// that a user would want). A read reply repeated by the relay makes no
// second notification.
func (g *Gateway) handleReadReply(ctx context.Context, route string, req *mm7.ReadReplyReq) error {
	if !translate.ReadReplyDisplayed(req.MMStatus) {
		g.log.Info("MM7 read reply without display", "route", route, "message_id", req.MessageID, "mm_status", req.MMStatus)
		return nil
	}
	seq, _, err := g.findRef(ctx, []string{legacyRef(route, req.MessageID)})
	if errors.Is(err, journal.ErrNotFound) {
		g.stats.uncorrelated.Add(1)
		g.log.Warn("read reply for an unknown message", "route", route, "message_id", req.MessageID)
		return nil
	}
	if err != nil {
		return mm7.StatusServiceUnavailable
	}
	err = g.applyReadReply(ctx, route, req.MessageID, seq)
	if errors.Is(err, errHandedOver) {
		l := &letter{kind: letterReadReply, route: route, seq: seq, id: req.MessageID}
		return g.forward(ctx, seq, l, mm7.StatusServiceUnavailable)
	}
	return err
}

// applyReadReply queues the display notification for the entry seq,
// which the relay's message id names, once. It returns errHandedOver when
// the entry belongs to another instance.
func (g *Gateway) applyReadReply(ctx context.Context, route, messageID string, seq uint64) error {
	if c := g.cluster; c != nil && !c.owns(c.j.PartitionOf(seq)) {
		return errHandedOver
	}
	once := "rr/" + route + "/" + messageID
	switch _, err := g.deps.Journal.Lookup(ctx, once); {
	case err == nil:
		return nil
	case !errors.Is(err, journal.ErrNotFound):
		return mm7.StatusServiceUnavailable
	}
	e, err := g.deps.Journal.Get(ctx, seq)
	if g.handedOver(seq, err) {
		return errHandedOver
	}
	if err != nil {
		return mm7.StatusServiceUnavailable
	}
	it, err := unmarshalItem(e.Seq, e.Data)
	if err != nil || it.kind != kindMessage || !it.msg.Notify.Has(cpm.Display) {
		return nil
	}
	now := g.now()
	rep := &item{
		kind: kindReport, route: cpmRoute, received: now, expiry: now.Add(g.cfg.Validity),
		report: cpm.Report{
			ID: newID(), MessageID: reportedID(it), From: it.msg.To, To: it.msg.From, Status: cpm.Displayed, Display: true,
			DateTime: now, OriginalDateTime: it.msg.DateTime,
		},
	}
	entries := []journal.Entry{entryOf(rep, journal.Open, once)}
	if err := g.putNear(ctx, seq, entries); err != nil {
		if g.handedOver(seq, err) {
			return errHandedOver
		}
		return mm7.StatusServiceUnavailable
	}
	rep.seq = entries[0].Seq
	g.stats.reports.Add(1)
	g.log.Info("MM7 read reply: display notification queued", "seq", rep.seq, "message_id", it.msg.ID, "to", it.msg.From)
	g.enqueue(rep)
	return nil
}
