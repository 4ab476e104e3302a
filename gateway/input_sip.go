package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/journal"
	"github.com/iwf-gateway/iwf/translate"
)

func sipStatus(code int, reason string) error { return &sip.StatusError{Code: code, Reason: reason} }

// unavailable is the answer while iwf cannot take traffic (stopping, or
// the journal failing): temporary, with a hint when to try again.
func unavailable() error {
	return &sip.StatusError{Code: 503, Reason: "Service Unavailable", Retry: 5 * time.Second}
}

// HandleSIP is the sip.Handler of the CM-7 endpoint: it accepts a MESSAGE
// from a CPM user and returns nil (202 Accepted) only once the message is
// in the journal, or a *sip.StatusError saying why not.
func (g *Gateway) HandleSIP(ctx context.Context, r *sip.Request) error {
	if g.closing.Load() {
		return unavailable()
	}
	select {
	case g.accepting <- struct{}{}:
		defer func() { <-g.accepting }()
	default:
		g.stats.overloaded.Add(1)
		return &sip.StatusError{Code: 503, Reason: "Service Unavailable: overloaded", Retry: time.Second}
	}
	// An IMDN from a CPM user about a message that came from SMS: SMS has
	// no way to carry it, so it is taken and dropped.
	return g.acceptRequest(ctx, r, "IMDN from CPM user taken; SMS cannot carry it")
}

// acceptRequest accepts the message r carries from a CPM user (see
// AcceptFromCPM). An IMDN, which the legacy network cannot carry, is
// taken and dropped, logged with the text imdnLog.
func (g *Gateway) acceptRequest(ctx context.Context, r *sip.Request, imdnLog string) error {
	m, rep, isReport, err := translate.FromSIP(r)
	switch {
	case err != nil:
		g.stats.rejected.Add(1)
		return sipError(err)
	case isReport:
		g.log.Debug(imdnLog, "message_id", rep.MessageID, "status", rep.Status)
		return nil
	}
	return g.AcceptFromCPM(ctx, m)
}

// sipError maps a translate error to the SIP answer.
func sipError(err error) error {
	switch {
	case errors.Is(err, translate.ErrTooLarge):
		return sipStatus(413, "Request Entity Too Large")
	case errors.Is(err, translate.ErrUnsupportedType):
		return sipStatus(415, "Unsupported Media Type")
	default:
		return sipStatus(400, "Bad Request: "+err.Error())
	}
}

// AcceptFromCPM routes, dedupes and journals a message from a CPM user. It
// returns nil once the message is durable (or is a repeat of one that is),
// or a *sip.StatusError. With a shared journal, the message is journaled
// in the partition of its recipient, by the instance that owns it.
func (g *Gateway) AcceptFromCPM(ctx context.Context, m cpm.Message) error {
	start := g.now()
	route, err := g.routeFor(&m)
	if err != nil {
		g.stats.rejected.Add(1)
		return err
	}
	key := "m/" + string(m.From) + "/" + m.ID
	if !g.dedupe.begin(key) {
		g.stats.duplicates.Add(1)
		return nil
	}
	defer g.dedupe.end(key)
	switch _, err := g.deps.Journal.Lookup(ctx, key); {
	case err == nil:
		g.stats.duplicates.Add(1)
		return nil
	case !errors.Is(err, journal.ErrNotFound):
		g.stats.journalErrors.Add(1)
		g.log.Error("journal: lookup failed; answering 503", "err", err)
		return unavailable()
	}
	now := g.now()
	it := &item{kind: kindMessage, route: route, received: now, expiry: m.Expiry, msg: m}
	if it.expiry.IsZero() {
		it.expiry = now.Add(g.cfg.Validity)
	}
	entries := []journal.Entry{entryOf(it, journal.Open, key)}
	if reason, tooLarge := journal.EntryProblem(&entries[0]); tooLarge {
		// Within the SIP and MSRP limits but not the journal's: a
		// permanent refusal, not a 503 the sender would retry for ever.
		g.stats.rejected.Add(1)
		return sipStatus(413, "Request Entity Too Large: the message with its headers exceeds what iwf journals ("+reason+")")
	}
	if g.cluster != nil {
		c := &creation{once: key, items: []*item{it}, refs: [][]string{{key}}, entries: entries, start: start}
		if err := g.place(ctx, g.canonicalAddress(string(m.To)), c); err != nil {
			g.stats.journalErrors.Add(1)
			g.log.Error("journal: message neither saved nor handed to its owner; answering 503", "err", err)
			return unavailable()
		}
		return nil
	}
	if err := g.put(ctx, entries); err != nil {
		g.stats.journalErrors.Add(1)
		g.log.Error("journal: put failed; answering 503", "err", err)
		return unavailable()
	}
	it.seq = entries[0].Seq
	g.stats.acceptedCPM.Add(1)
	g.log.Info("message accepted", "seq", it.seq, "id", m.ID, "from", m.From, "to", m.To, "route", route)
	g.accepted(it, start)
	return nil
}
