package gateway

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// LatencyBuckets are the upper bounds of the latency histograms, in
// seconds: from a millisecond (an accept) to an hour (a delivery waiting
// for a receipt).
var LatencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600}

// histogram counts observations into LatencyBuckets; safe for concurrent use.
type histogram struct {
	counts [latencySlots]atomic.Int64 // per bucket, not cumulative
	count  atomic.Int64
	sumNs  atomic.Int64
}

// latencySlots is len(LatencyBuckets)+1: the last slot is +Inf.
const latencySlots = 19

func (h *histogram) observe(d time.Duration) {
	s := d.Seconds()
	i := sort.SearchFloat64s(LatencyBuckets, s)
	h.counts[i].Add(1)
	h.count.Add(1)
	h.sumNs.Add(int64(d))
}

// Histogram is a snapshot of a latency histogram: Counts[i] observations
// at most LatencyBuckets[i] seconds (cumulative, as Prometheus has them),
// Count in all, Sum seconds.
type Histogram struct {
	Counts []int64
	Count  int64
	Sum    float64
}

func (h *histogram) snapshot() Histogram {
	out := Histogram{Counts: make([]int64, len(LatencyBuckets))}
	var cum int64
	for i := range LatencyBuckets {
		cum += h.counts[i].Load()
		out.Counts[i] = cum
	}
	out.Count = h.count.Load()
	out.Sum = time.Duration(h.sumNs.Load()).Seconds()
	return out
}

// OutcomeCount is the number of events of one type per network and
// direction.
type OutcomeCount struct {
	Network, Direction string
	Event              EventType
	Count              int64
}

// LatencyStats are the latency histograms of one network and direction.
type LatencyStats struct {
	Network, Direction string
	Accept, Delivery   Histogram
}

type metricKey struct {
	network, direction string
	event              EventType
}

type latencyKey struct{ network, direction string }

type latencies struct{ accept, delivery histogram }

// metrics are the gateway's per-network counters and histograms.
type metrics struct {
	mu        sync.Mutex
	counts    map[metricKey]*atomic.Int64
	latencies map[latencyKey]*latencies
}

func (m *metrics) observe(e Event) {
	if e.Kind != kindMessage.String() {
		return
	}
	network := e.Network
	if network == "" {
		network = "unknown"
	}
	m.mu.Lock()
	if m.counts == nil {
		m.counts = make(map[metricKey]*atomic.Int64)
		m.latencies = make(map[latencyKey]*latencies)
	}
	k := metricKey{network, e.Direction, e.Type}
	c, ok := m.counts[k]
	if !ok {
		c = new(atomic.Int64)
		m.counts[k] = c
	}
	lk := latencyKey{network, e.Direction}
	l, ok := m.latencies[lk]
	if !ok {
		l = new(latencies)
		m.latencies[lk] = l
	}
	m.mu.Unlock()
	c.Add(1)
	switch e.Type {
	case EventAccepted:
		l.accept.observe(e.Latency)
	case EventDelivered:
		l.delivery.observe(e.Latency)
	}
}

func (m *metrics) snapshot() ([]OutcomeCount, []LatencyStats) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var oc []OutcomeCount
	for k, c := range m.counts {
		oc = append(oc, OutcomeCount{Network: k.network, Direction: k.direction, Event: k.event, Count: c.Load()})
	}
	sort.Slice(oc, func(i, j int) bool {
		a, b := oc[i], oc[j]
		if a.Network != b.Network {
			return a.Network < b.Network
		}
		if a.Direction != b.Direction {
			return a.Direction < b.Direction
		}
		return a.Event < b.Event
	})
	var ls []LatencyStats
	for k, l := range m.latencies {
		ls = append(ls, LatencyStats{Network: k.network, Direction: k.direction, Accept: l.accept.snapshot(), Delivery: l.delivery.snapshot()})
	}
	sort.Slice(ls, func(i, j int) bool {
		if ls[i].Network != ls[j].Network {
			return ls[i].Network < ls[j].Network
		}
		return ls[i].Direction < ls[j].Direction
	})
	return oc, ls
}
