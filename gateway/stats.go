package gateway

import (
	"sort"
	"sync/atomic"
)

// counters are the gateway's running totals since start.
type counters struct {
	acceptedCPM   atomic.Int64 // messages from CPM users journaled
	acceptedSMS   atomic.Int64 // MO SMS journaled (whole or reassembled)
	acceptedMMS   atomic.Int64 // CPM copies of MO MMS journaled
	acceptedIMPS  atomic.Int64 // IMPS messages journaled
	mmsSubmits    atomic.Int64 // SubmitReq accepted by the relay
	impsSent      atomic.Int64 // SendMessage accepted by the IMPS server
	duplicates    atomic.Int64 // repeats recognised and dropped
	segments      atomic.Int64 // submit_sm accepted by SMSCs
	retries       atomic.Int64
	awaiting      atomic.Int64 // messages that started waiting for receipts
	receipts      atomic.Int64 // final receipts correlated
	uncorrelated  atomic.Int64 // receipts whose message was not found
	fragments     atomic.Int64 // MO segments journaled
	reports       atomic.Int64 // IMDNs queued toward CPM users
	reportsSent   atomic.Int64 // IMDNs accepted by the CPM side
	reportsLost   atomic.Int64 // IMDNs that failed or expired
	delivered     atomic.Int64
	submitted     atomic.Int64
	failed        atomic.Int64
	expired       atomic.Int64
	rejected      atomic.Int64 // input refused with a protocol error
	journalErrors atomic.Int64 // accepts refused because the journal failed
	overloaded    atomic.Int64 // MESSAGEs refused because MaxAccepting were in progress
	chatDelivered atomic.Int64 // messages and IMDNs delivered inside chat sessions
}

func (c *counters) ended(it *item, oc outcome) {
	if it.kind == kindReport {
		if oc == outcomeDelivered {
			c.reportsSent.Add(1)
		} else {
			c.reportsLost.Add(1)
		}
		return
	}
	switch oc {
	case outcomeDelivered:
		c.delivered.Add(1)
	case outcomeSubmitted:
		c.submitted.Add(1)
	case outcomeFailed:
		c.failed.Add(1)
	case outcomeExpired:
		c.expired.Add(1)
	}
}

// Stats is a snapshot of the gateway's counters and queues.
type Stats struct {
	AcceptedCPM, AcceptedSMS          int64
	AcceptedMMS, AcceptedIMPS         int64
	MMSSubmits, IMPSSent              int64
	Duplicates, Rejected              int64
	Segments, Retries                 int64
	AwaitingReceipts                  int64
	Receipts, UncorrelatedReceipts    int64
	Fragments, Reports                int64
	ReportsSent, ReportsLost          int64
	Delivered, Submitted              int64
	Failed, Expired, JournalErrors    int64
	Overloaded                        int64
	Queues                            []QueueStats
	Outcomes                          []OutcomeCount
	Latencies                         []LatencyStats
	EventsDropped                     int64 // events a slow subscriber missed
	Links                             []LinkStatus
	ScheduledTimers, PendingFragments int
	// ChatSessions is the live chat sessions with legacy users;
	// ChatDelivered counts what went to CPM users inside them.
	ChatSessions  int
	ChatDelivered int64
	// Shared is the work this instance shares with others on a shared
	// journal (all zero on a local one).
	Shared SharedStats
}

// QueueStats is the backlog of one route and the state of its link.
type QueueStats struct {
	Route string
	Depth int
	Ready bool
	// Links and LinksUp count the route's connections (SMPP binds, the
	// IMPS session) from Stats.Links; both 0 for a route without standing
	// connections (MM7 over HTTP) or whose link does not describe them.
	Links, LinksUp int
}

// Stats returns a snapshot; safe to call at any time.
func (g *Gateway) Stats() Stats {
	c := &g.stats
	s := Stats{
		AcceptedCPM: c.acceptedCPM.Load(), AcceptedSMS: c.acceptedSMS.Load(),
		AcceptedMMS: c.acceptedMMS.Load(), AcceptedIMPS: c.acceptedIMPS.Load(),
		MMSSubmits: c.mmsSubmits.Load(), IMPSSent: c.impsSent.Load(),
		Duplicates: c.duplicates.Load(), Rejected: c.rejected.Load(),
		Segments: c.segments.Load(), Retries: c.retries.Load(),
		AwaitingReceipts: c.awaiting.Load(),
		Receipts:         c.receipts.Load(), UncorrelatedReceipts: c.uncorrelated.Load(),
		Fragments: c.fragments.Load(), Reports: c.reports.Load(),
		ReportsSent: c.reportsSent.Load(), ReportsLost: c.reportsLost.Load(),
		Delivered: c.delivered.Load(), Submitted: c.submitted.Load(),
		Failed: c.failed.Load(), Expired: c.expired.Load(), JournalErrors: c.journalErrors.Load(),
		Overloaded:       c.overloaded.Load(),
		ScheduledTimers:  g.sched.len(),
		PendingFragments: g.mo.pending(),
		ChatSessions:     g.chats.count(), ChatDelivered: c.chatDelivered.Load(),
	}
	s.Queues = append(s.Queues, QueueStats{Route: cpmRoute, Depth: g.cpmQ.len(), Ready: true})
	for name, r := range g.sms {
		s.Queues = append(s.Queues, QueueStats{Route: name, Depth: r.q.len(), Ready: r.Link.Ready()})
	}
	s.Outcomes, s.Latencies = g.metrics.snapshot()
	s.EventsDropped = g.events.dropped.Load()
	s.Links = g.links()
	s.Shared = g.SharedStats()
	if r := g.mms; r != nil {
		s.Queues = append(s.Queues, QueueStats{Route: r.Name, Depth: r.q.len(), Ready: true})
	}
	if r := g.imps; r != nil {
		s.Queues = append(s.Queues, QueueStats{Route: r.Name, Depth: r.q.len(), Ready: r.Link.Ready()})
	}
	countLinks(s.Queues, s.Links)
	sort.Slice(s.Queues, func(i, j int) bool { return s.Queues[i].Route < s.Queues[j].Route })
	return s
}

// countLinks fills each queue's Links and LinksUp from the SMPP binds and
// the IMPS session listed in links.
func countLinks(queues []QueueStats, links []LinkStatus) {
	for i := range queues {
		q := &queues[i]
		for _, l := range links {
			if l.Route != q.Route || (l.Kind != "smpp" && l.Kind != "imps") {
				continue
			}
			q.Links++
			if l.State == "bound" || l.State == "up" {
				q.LinksUp++
			}
		}
	}
}
