package gateway

import (
	"context"
	"errors"
	"strconv"

	"github.com/iwf-gateway/iwf/adapters/imps/wv"
	"github.com/iwf-gateway/iwf/addressmap"
	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/translate"
)

// HandleIMPSMessage is the imps.Handler of the IMPS route: it journals a
// NewMessage as one CPM message per CPM recipient and returns nil (the
// server gets MessageDelivered) only once the journal holds them. An error
// leaves the message with the server, which offers it again.
//
// A message iwf cannot read is acknowledged and dropped with a log line
// and a count: left unacknowledged, the server would offer it on every
// poll for ever.
func (g *Gateway) HandleIMPSMessage(ctx context.Context, nm *wv.NewMessage) error {
	if g.closing.Load() || g.imps == nil {
		return errTryLater
	}
	route, start := g.imps.Name, g.now()
	msg, sender, recipients, err := translate.MessageFromNewMessage(nm)
	if err != nil {
		g.stats.rejected.Add(1)
		g.log.Warn("IMPS message refused and acknowledged", "route", route, "message_id", nm.MessageInfo.MessageID, "err", err)
		return nil
	}
	names := g.imps.Names
	if names.SideOf(sender) != addressmap.SideIMPS {
		// The IMPS server may not speak for CPM users or unknown domains.
		g.stats.rejected.Add(1)
		g.log.Warn("IMPS message from outside the IMPS domains acknowledged and dropped", "route", route, "sender", sender)
		return nil
	}
	from, err := g.impsCPMAddress(sender)
	if err != nil {
		g.stats.rejected.Add(1)
		g.log.Warn("IMPS message with an unusable sender acknowledged and dropped", "route", route, "sender", sender, "err", err)
		return nil
	}
	var to []cpm.Address
	for _, r := range recipients {
		if names.SideOf(r) != addressmap.SideCPM {
			g.log.Warn("IMPS recipient outside the CPM domain skipped", "route", route, "recipient", r)
			continue
		}
		addr, err := g.impsCPMAddress(r)
		if err != nil {
			g.log.Warn("IMPS recipient skipped", "route", route, "recipient", r, "err", err)
			continue
		}
		to = append(to, addr)
	}
	if len(to) == 0 || len(to) > maxRecipients {
		g.stats.rejected.Add(1)
		g.log.Warn("IMPS message without usable recipients acknowledged and dropped", "route", route, "recipients", len(recipients))
		return nil
	}
	key := ""
	if id := nm.MessageInfo.MessageID; id != "" {
		key = "m/" + string(from) + "/imps/" + id
		if !g.dedupe.begin(key) {
			g.stats.duplicates.Add(1)
			return nil
		}
		defer g.dedupe.end(key)
		switch rep, err := g.repeated(ctx, key, 0); {
		case err != nil:
			g.stats.journalErrors.Add(1)
			return errTryLater
		case rep:
			g.stats.duplicates.Add(1)
			return nil
		}
	}
	if err := g.acceptCopies(ctx, msg, from, to, NetworkIMPS, key, start); err != nil {
		if errors.Is(err, errTooLargeToJournal) {
			// As an unreadable message: acknowledged and dropped, not
			// offered by the server for ever.
			g.log.Warn("IMPS message dropped: too large to journal", "route", route, "bytes", msg.Size(), "err", err)
			return nil
		}
		g.log.Error("journal: IMPS message not saved; left with the server", "route", route, "err", err)
		return errTryLater
	}
	return nil
}

// HandleIMPSReport is the imps.ReportHandler: it settles a message sent to
// an IMPS user from the server's DeliveryReport-Request.
func (g *Gateway) HandleIMPSReport(ctx context.Context, r *wv.DeliveryReportRequest) error {
	if g.closing.Load() || g.imps == nil {
		return errTryLater
	}
	status, final := translate.IMPSReportStatus(r.Result.Code)
	if !final {
		return nil
	}
	reason := "IMPS delivery report " + strconv.Itoa(r.Result.Code)
	if r.Result.Description != "" {
		reason += " " + r.Result.Description
	}
	return g.settleLegacy(ctx, g.imps.Name, r.MessageInfo.MessageID, status, reason)
}

// impsCPMAddress maps an IMPS id to the CPM address of its user.
func (g *Gateway) impsCPMAddress(id string) (cpm.Address, error) {
	n, err := g.imps.Names.CPMFromIMPS(id)
	if err != nil {
		return "", err
	}
	return cpm.Address(g.deps.Addresses.CPMAddress(n, g.deps.CPMOut.Domain)), nil
}
