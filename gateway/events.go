package gateway

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iwf-gateway/iwf/journal"
)

// EventType is a step in the life of a message or report.
type EventType string

// The steps the gateway reports.
const (
	EventAccepted  EventType = "accepted"  // journaled; the source has its positive answer
	EventSubmitted EventType = "submitted" // taken by the legacy network; a report is awaited
	EventRetry     EventType = "retry"     // an attempt failed; another is scheduled
	EventDelivered EventType = "delivered" // ended: delivered, as a report says (or the CPM side took it)
	EventSent      EventType = "sent"      // ended: taken by the legacy network, no report asked
	EventFailed    EventType = "failed"    // ended: failed for good (a dead letter)
	EventExpired   EventType = "expired"   // ended: validity over (a dead letter)
)

// Directions of Event.Direction.
const (
	ToLegacy = "to_legacy" // from a CPM user to an SMS, MMS or IMPS user
	ToCPM    = "to_cpm"    // from a legacy user (or a report) to a CPM user
)

// Event is one step of a message or report, for the console, metrics and
// charging. It carries no message body.
type Event struct {
	Time      time.Time
	Type      EventType
	Seq       uint64
	Kind      string // message, report
	Network   string // the legacy network involved: sms, mms, imps ("" for reports)
	Direction string // ToLegacy or ToCPM
	Route     string
	ID        string // imdn.Message-ID (for a report: of the message reported on)
	From, To  string
	Parts     int // body parts
	Bytes     int // body bytes
	Segments  int // SMS segments submitted
	Reason    string
	// Latency is, for accepted, how long the accept took (source to
	// journal); for an end, how long since the message was accepted.
	Latency time.Duration
}

// ChargingSink takes one record per chargeable event (a message accepted,
// delivered, failed or expired). It is called on the pipeline's goroutine
// and must not block for long.
type ChargingSink interface {
	Charge(Event)
}

// events fans events out to subscribers without ever blocking the
// pipeline: a subscriber that does not keep up loses events (counted).
type events struct {
	mu      sync.Mutex
	subs    map[*subscriber]struct{}
	dropped atomic.Int64
}

type subscriber struct {
	ch chan Event
}

// Subscribe returns a channel of events with room for buf of them and a
// function that ends the subscription (and closes the channel). When the
// channel is full, events are dropped for this subscriber and counted in
// Stats().EventsDropped: the console may lose rows, the pipeline never waits.
func (g *Gateway) Subscribe(buf int) (<-chan Event, func()) {
	if buf < 1 {
		buf = 1
	}
	s := &subscriber{ch: make(chan Event, buf)}
	g.events.mu.Lock()
	if g.events.subs == nil {
		g.events.subs = make(map[*subscriber]struct{})
	}
	g.events.subs[s] = struct{}{}
	g.events.mu.Unlock()
	var once sync.Once
	return s.ch, func() {
		once.Do(func() {
			g.events.mu.Lock()
			delete(g.events.subs, s)
			g.events.mu.Unlock()
			close(s.ch)
		})
	}
}

// emit records an event in the metrics, the charging sink and the
// subscribers.
func (g *Gateway) emit(e Event) {
	if e.Time.IsZero() {
		e.Time = g.now()
	}
	g.metrics.observe(e)
	if g.deps.Charging != nil && e.Kind == kindMessage.String() && e.Type != EventRetry && e.Type != EventSubmitted {
		g.deps.Charging.Charge(e)
	}
	g.events.mu.Lock()
	for s := range g.events.subs {
		select {
		case s.ch <- e:
		default:
			g.events.dropped.Add(1)
		}
	}
	g.events.mu.Unlock()
}

// itemEvent describes an item for an event.
func (g *Gateway) itemEvent(t EventType, it *item) Event {
	e := Event{Type: t, Seq: it.seq, Kind: it.kind.String(), Route: it.route, Reason: it.reason, Segments: len(it.parts)}
	switch it.kind {
	case kindReport:
		e.Direction, e.ID, e.From, e.To = ToCPM, it.report.MessageID, string(it.report.From), string(it.report.To)
	default:
		e.ID, e.From, e.To = it.msg.ID, string(it.msg.From), string(it.msg.To)
		e.Parts, e.Bytes = len(it.msg.Parts), it.msg.Size()
		if it.route == cpmRoute {
			e.Direction, e.Network = ToCPM, it.origin
		} else {
			e.Direction, e.Network = ToLegacy, g.networkOf(it.route)
		}
	}
	if t != EventAccepted && !it.received.IsZero() {
		e.Latency = g.now().Sub(it.received)
	}
	return e
}

// networkOf names the network of a route.
func (g *Gateway) networkOf(route string) string {
	switch {
	case route == cpmRoute:
		return NetworkCPM
	case g.mms != nil && route == g.mms.Name:
		return NetworkMMS
	case g.imps != nil && route == g.imps.Name:
		return NetworkIMPS
	}
	return NetworkSMS
}

// put writes entries to the journal and remembers the highest sequence
// number written, which bounds searches of recent traffic. With a shared
// journal, new entries written together with updates of existing ones go
// into the partition of those (see partitionOfUpdate).
func (g *Gateway) put(ctx context.Context, entries []journal.Entry) error {
	if p, ok := g.cluster.partitionOfUpdate(entries); ok {
		return g.putIn(ctx, p, entries)
	}
	if err := g.deps.Journal.Put(ctx, entries); err != nil {
		return err
	}
	g.noteWritten(entries)
	return nil
}

// noteWritten remembers the highest sequence number of entries written.
func (g *Gateway) noteWritten(entries []journal.Entry) {
	for _, e := range entries {
		for {
			last := g.lastSeq.Load()
			if e.Seq <= last || g.lastSeq.CompareAndSwap(last, e.Seq) {
				break
			}
		}
	}
}
