package console

import (
	"math"
	"time"

	"github.com/iwf-gateway/iwf/gateway"
)

// EventFrame is the websocket frame of one gateway event: addresses, ids
// and sizes, never a body.
type EventFrame struct {
	Time      time.Time `json:"time"`
	Type      string    `json:"type"` // a gateway.EventType
	Seq       uint64    `json:"seq"`
	Kind      string    `json:"kind"`
	Network   string    `json:"network"`
	Direction string    `json:"direction"`
	Route     string    `json:"route"`
	ID        string    `json:"id"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Parts     int       `json:"parts"`
	Bytes     int       `json:"bytes"`
	Segments  int       `json:"segments"`
	Reason    string    `json:"reason"`
	LatencyMS float64   `json:"latency_ms"`
}

func eventFrameOf(e gateway.Event) EventFrame {
	return EventFrame{
		Time: e.Time.UTC(), Type: string(e.Type), Seq: e.Seq, Kind: e.Kind,
		Network: e.Network, Direction: e.Direction, Route: e.Route, ID: e.ID,
		From: e.From, To: e.To, Parts: e.Parts, Bytes: e.Bytes, Segments: e.Segments,
		Reason: e.Reason, LatencyMS: round3(float64(e.Latency) / float64(time.Millisecond)),
	}
}

// TickFrame is the websocket frame sent once a second: the status the page
// shows above the live rows.
type TickFrame struct {
	Type             string        `json:"type"` // "tick"
	Time             time.Time     `json:"time"`
	Ready            bool          `json:"ready"`
	Routes           []RouteStatus `json:"routes"`
	Links            []LinkView    `json:"links"`            // each SMPP bind, SIP listener, IMPS session
	ScheduledTimers  int           `json:"scheduled_timers"` // the retry backlog: retries and expiries waiting
	AwaitingReceipts int64         `json:"awaiting_receipts"`
	PendingFragments int           `json:"pending_fragments"`
	Accepted         int64         `json:"accepted"`
	Delivered        int64         `json:"delivered"`
	Failed           int64         `json:"failed"`
	Expired          int64         `json:"expired"`
	AcceptedPerS     float64       `json:"accepted_per_s"`
	DeliveredPerS    float64       `json:"delivered_per_s"`
	FailedPerS       float64       `json:"failed_per_s"`
	EventsDropped    int64         `json:"events_dropped"` // events the console missed (gateway side)
	Clients          int           `json:"clients"`
	Dropped          int64         `json:"dropped"`    // event frames this client missed
	Throughput       Bucket        `json:"throughput"` // the chart's current bucket
}

// LinkView is one connection in the tick, with its rate since the last
// tick a client saw.
type LinkView struct {
	gateway.LinkStatus
	PerS float64 `json:"per_s"` // submits (SMPP) or requests (SIP) per second
}

// RouteStatus is one route in the tick: an SMSC bind, the MM7 link, the
// IMPS session or the SIP side ("cpm"), with its backlog and rates over the
// last ten seconds (from the events).
type RouteStatus struct {
	Route         string  `json:"route"`
	Ready         bool    `json:"ready"`
	Depth         int     `json:"depth"`
	Links         int     `json:"links"`    // connections (SMPP binds, the IMPS session); 0: the link has none
	LinksUp       int     `json:"links_up"` // of which up
	AcceptedPerS  float64 `json:"accepted_per_s"`
	DeliveredPerS float64 `json:"delivered_per_s"`
	FailedPerS    float64 `json:"failed_per_s"`
}

func (h *hub) tickFrameOf(now time.Time, st gateway.Stats) TickFrame {
	f := TickFrame{
		Type: "tick", Time: now.UTC(), Ready: h.src.Ready(),
		ScheduledTimers: st.ScheduledTimers, AwaitingReceipts: st.AwaitingReceipts, PendingFragments: st.PendingFragments,
		Accepted:  st.AcceptedCPM + st.AcceptedSMS + st.AcceptedMMS + st.AcceptedIMPS,
		Delivered: st.Delivered, Failed: st.Failed, Expired: st.Expired,
		EventsDropped: st.EventsDropped, Clients: int(h.nclients.Load()),
	}
	r := h.recent.rates(now)
	f.AcceptedPerS, f.DeliveredPerS, f.FailedPerS = round1(r[qAccepted]), round1(r[qDelivered]), round1(r[qFailed])
	if w := h.throughputs.window(now); len(w) > 0 {
		f.Throughput = w[len(w)-1]
	}
	for _, q := range st.Queues {
		rs := h.routeStatus(now, q.Route, q.Ready, q.Depth)
		rs.Links, rs.LinksUp = q.Links, q.LinksUp
		f.Routes = append(f.Routes, rs)
	}
	if f.Routes == nil {
		f.Routes = []RouteStatus{}
	}
	f.Links = h.linkViews(now, st.Links)
	return f
}

// linkViews adds to each link its rate since the previous tick frame.
// It runs on the run goroutine only.
func (h *hub) linkViews(now time.Time, links []gateway.LinkStatus) []LinkView {
	out := make([]LinkView, 0, len(links))
	dt := now.Sub(h.lastLinksAt).Seconds()
	next := make(map[string]uint64, len(links))
	for _, l := range links {
		key := l.Route + "\x00" + l.Name
		v := LinkView{LinkStatus: l}
		if prev, ok := h.lastLinks[key]; ok && dt > 0 && l.Count >= prev {
			v.PerS = round1(float64(l.Count-prev) / dt)
		}
		next[key] = l.Count
		out = append(out, v)
	}
	h.lastLinks, h.lastLinksAt = next, now
	return out
}

func (h *hub) routeStatus(now time.Time, route string, ready bool, depth int) RouteStatus {
	rs := RouteStatus{Route: route, Ready: ready, Depth: depth}
	if s, ok := h.routes[route]; ok {
		r := s.rates(now)
		rs.AcceptedPerS, rs.DeliveredPerS, rs.FailedPerS = round1(r[qAccepted]), round1(r[qDelivered]), round1(r[qFailed])
	}
	return rs
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
