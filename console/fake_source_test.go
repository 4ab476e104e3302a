package console

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/iwf-gateway/iwf/gateway"
	"github.com/iwf-gateway/iwf/journal"
)

// fakeSource is a gateway as the console sees it: it emits the events a
// test asks for (counting them as the gateway does), holds journal entries
// and records the operator's actions.
type fakeSource struct {
	mu        sync.Mutex
	sendMu    sync.RWMutex // held for reading while emit sends
	ready     bool
	queues    []gateway.QueueStats
	timers    int
	outcomes  map[gateway.OutcomeCount]int64 // Count zero in the key
	latencies map[[2]string]*gateway.LatencyStats
	dropped   int64
	subs      map[chan gateway.Event]struct{}
	block     bool // emit waits for subscribers (benchmarks of the console alone)

	entries   map[uint64]gateway.EntryView
	nextSeq   uint64
	retried   []uint64
	discarded []uint64
	limits    []int // the limit of every listing call
}

func newFakeSource() *fakeSource {
	return &fakeSource{
		ready:     true,
		outcomes:  make(map[gateway.OutcomeCount]int64),
		latencies: make(map[[2]string]*gateway.LatencyStats),
		subs:      make(map[chan gateway.Event]struct{}),
		entries:   make(map[uint64]gateway.EntryView),
		nextSeq:   1000,
	}
}

func (f *fakeSource) Ready() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ready
}

func (f *fakeSource) setReady(v bool) {
	f.mu.Lock()
	f.ready = v
	f.mu.Unlock()
}

func (f *fakeSource) setQueues(q ...gateway.QueueStats) {
	f.mu.Lock()
	f.queues = q
	f.mu.Unlock()
}

func (f *fakeSource) Stats() gateway.Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := gateway.Stats{Queues: slices.Clone(f.queues), ScheduledTimers: f.timers, EventsDropped: f.dropped}
	for k, n := range f.outcomes {
		k.Count = n
		st.Outcomes = append(st.Outcomes, k)
		if k.Event == gateway.EventAccepted && k.Direction == gateway.ToLegacy {
			st.AcceptedCPM += n
		} else if k.Event == gateway.EventAccepted {
			st.AcceptedSMS += n
		}
		switch k.Event {
		case gateway.EventDelivered:
			st.Delivered += n
		case gateway.EventFailed:
			st.Failed += n
		case gateway.EventExpired:
			st.Expired += n
		}
	}
	slices.SortFunc(st.Outcomes, func(a, b gateway.OutcomeCount) int {
		return cmpStrings(a.Network+a.Direction+string(a.Event), b.Network+b.Direction+string(b.Event))
	})
	for _, l := range f.latencies {
		c := *l
		c.Accept.Counts = slices.Clone(l.Accept.Counts)
		c.Delivery.Counts = slices.Clone(l.Delivery.Counts)
		st.Latencies = append(st.Latencies, c)
	}
	slices.SortFunc(st.Latencies, func(a, b gateway.LatencyStats) int {
		return cmpStrings(a.Network+a.Direction, b.Network+b.Direction)
	})
	return st
}

func cmpStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (f *fakeSource) Subscribe(buf int) (<-chan gateway.Event, func()) {
	ch := make(chan gateway.Event, buf)
	f.mu.Lock()
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			f.sendMu.Lock()
			defer f.sendMu.Unlock()
			f.mu.Lock()
			delete(f.subs, ch)
			f.mu.Unlock()
			close(ch)
		})
	}
}

func (f *fakeSource) subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// emit counts e as the gateway's metrics do and offers it to every
// subscriber, dropping it for a full one unless f.block. Sends happen
// outside f.mu (the console calls Stats meanwhile) but under sendMu, which
// a subscription's end waits for.
func (f *fakeSource) emit(e gateway.Event) {
	f.sendMu.RLock()
	defer f.sendMu.RUnlock()
	f.mu.Lock()
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if e.Kind == "message" {
		f.outcomes[gateway.OutcomeCount{Network: e.Network, Direction: e.Direction, Event: e.Type}]++
		f.observe(e)
	}
	subs := make([]chan gateway.Event, 0, len(f.subs))
	for ch := range f.subs {
		subs = append(subs, ch)
	}
	block := f.block
	f.mu.Unlock()
	for _, ch := range subs {
		if block {
			ch <- e
			continue
		}
		select {
		case ch <- e:
		default:
			f.mu.Lock()
			f.dropped++
			f.mu.Unlock()
		}
	}
}

func (f *fakeSource) observe(e gateway.Event) {
	k := [2]string{e.Network, e.Direction}
	l, ok := f.latencies[k]
	if !ok {
		l = &gateway.LatencyStats{Network: e.Network, Direction: e.Direction,
			Accept:   gateway.Histogram{Counts: make([]int64, len(gateway.LatencyBuckets))},
			Delivery: gateway.Histogram{Counts: make([]int64, len(gateway.LatencyBuckets))}}
		f.latencies[k] = l
	}
	var h *gateway.Histogram
	switch e.Type {
	case gateway.EventAccepted:
		h = &l.Accept
	case gateway.EventDelivered:
		h = &l.Delivery
	default:
		return
	}
	s := e.Latency.Seconds()
	for i, le := range gateway.LatencyBuckets {
		if s <= le {
			h.Counts[i]++
		}
	}
	h.Count++
	h.Sum += s
}

// put stores an entry and returns its seq (v.Seq when set).
func (f *fakeSource) put(v gateway.EntryView) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v.Seq == 0 {
		f.nextSeq++
		v.Seq = f.nextSeq
	}
	f.entries[v.Seq] = v
	return v.Seq
}

func (f *fakeSource) sorted(keep func(gateway.EntryView) bool) []gateway.EntryView {
	var out []gateway.EntryView
	for _, v := range f.entries {
		if keep(v) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b gateway.EntryView) int { return int(a.Seq) - int(b.Seq) })
	return out
}

func (f *fakeSource) Entries(_ context.Context, state journal.State, after uint64, limit int) ([]gateway.EntryView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limits = append(f.limits, limit)
	out := f.sorted(func(v gateway.EntryView) bool { return v.State == state.String() && v.Seq > after })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (f *fakeSource) DeadLetters(ctx context.Context, after uint64, limit int) ([]gateway.EntryView, error) {
	return f.Entries(ctx, journal.Dead, after, limit)
}

func (f *fakeSource) Retry(_ context.Context, seq uint64) error {
	return f.settle(seq, "open", &f.retried)
}

func (f *fakeSource) Discard(_ context.Context, seq uint64) error {
	return f.settle(seq, "done", &f.discarded)
}

func (f *fakeSource) settle(seq uint64, state string, record *[]uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.entries[seq]
	if !ok {
		return journal.ErrNotFound
	}
	if v.State != "dead" {
		return fmt.Errorf("%w: entry %d is %s", gateway.ErrNotDeadLetter, seq, v.State)
	}
	v.State = state
	f.entries[seq] = v
	*record = append(*record, seq)
	return nil
}

func (f *fakeSource) actions() (retried, discarded []uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.retried), slices.Clone(f.discarded)
}

func (f *fakeSource) Search(_ context.Context, q string, limit int) ([]gateway.EntryView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limits = append(f.limits, limit)
	out := f.sorted(func(v gateway.EntryView) bool { return v.Matches(q) || (v.ReplayOf != "" && v.ReplayOf == q) })
	if len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

func (f *fakeSource) Replay(_ context.Context, seqs []uint64, route string) ([]uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if route != "" && !slices.ContainsFunc(f.queues, func(q gateway.QueueStats) bool { return q.Route == route }) {
		return nil, fmt.Errorf("%w: %q", gateway.ErrNoSuchRoute, route)
	}
	var out []uint64
	for _, seq := range seqs {
		v, ok := f.entries[seq]
		if !ok {
			return nil, fmt.Errorf("entry %d: %w", seq, journal.ErrNotFound)
		}
		if v.Kind != "message" {
			return nil, fmt.Errorf("%w: entry %d is a %s", gateway.ErrNotReplayable, seq, v.Kind)
		}
		f.nextSeq++
		out = append(out, f.nextSeq)
	}
	return out, nil
}

var _ Source = (*fakeSource)(nil)
var _ Source = (*gateway.Gateway)(nil)
