package console

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/iwf-gateway/iwf/gateway"
)

// Bounds and timers of the live feed.
const (
	subscribeBuffer = 4096 // events between the gateway and the hub
	clientBuffer    = 1024 // frames queued for one websocket client
	maxBatch        = 256  // frames gathered into one write
	maxClients      = 64
	maxRoutes       = 256 // routes whose rates are kept
	writeTimeout    = 10 * time.Second
	pingInterval    = 30 * time.Second
	pongWait        = 75 * time.Second
	tickInterval    = time.Second
	throughputStep  = 10 * time.Second
	throughputSlots = 360 // one hour
	rateSlots       = 11  // ten complete seconds and the current one
)

// hub subscribes to the gateway once and fans its events out to the
// websocket clients, never waiting for one: a client whose buffer is full
// loses the frame (counted). It also samples the gateway's outcome counters
// every second for the throughput chart and the rates.
type hub struct {
	src Status
	log *slog.Logger
	now func() time.Time

	throughputs *series            // last hour, from the outcome counters
	recent      *series            // last seconds, from the outcome counters
	routes      map[string]*series // per route, from the events; run goroutine only
	lastTotals  [nQuantities]int64 // outcome counters at the last sample; run goroutine only
	lastLinks   map[string]uint64  // link counters at the last tick frame; run goroutine only
	lastLinksAt time.Time
	sampled     bool

	mu          sync.Mutex
	clients     map[*client]struct{}
	started     bool
	closed      bool
	stop        chan struct{}
	unsubscribe func()
	wg          sync.WaitGroup // run and every client's reader and writer

	nclients atomic.Int32
	dropped  atomic.Int64 // frames dropped for slow clients, all time
}

func newHub(src Status, log *slog.Logger, now func() time.Time) *hub {
	return &hub{
		src: src, log: log, now: now,
		throughputs: newSeries(throughputStep, throughputSlots),
		recent:      newSeries(time.Second, rateSlots),
		routes:      make(map[string]*series),
		clients:     make(map[*client]struct{}),
		stop:        make(chan struct{}),
	}
}

// start subscribes and starts the run goroutine; it does nothing after
// close.
func (h *hub) start() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.started || h.closed {
		return
	}
	h.started = true
	events, unsubscribe := h.src.Subscribe(subscribeBuffer)
	h.unsubscribe = unsubscribe
	h.wg.Add(1)
	go h.run(events)
}

// end marks the hub closed and returns the clients to close.
func (h *hub) end() []*client {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.stop)
	}
	out := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		out = append(out, c)
	}
	return out
}

// shutdown says goodbye to every client (a close frame), waits for them
// until ctx ends, then drops the rest, and ends the subscription.
func (h *hub) shutdown(ctx context.Context) {
	clients := h.end()
	for _, c := range clients {
		c.leave()
	}
	waited := make(chan struct{})
	go func() { h.wg.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-ctx.Done():
		for _, c := range clients {
			_ = c.conn.Close()
		}
		<-waited
	}
	h.finish()
}

// close drops every client at once and waits for every goroutine.
func (h *hub) close() {
	for _, c := range h.end() {
		c.leave()
		_ = c.conn.Close()
	}
	h.wg.Wait()
	h.finish()
}

func (h *hub) finish() {
	h.mu.Lock()
	unsubscribe := h.unsubscribe
	h.unsubscribe = nil
	h.mu.Unlock()
	if unsubscribe != nil {
		unsubscribe()
	}
}

func (h *hub) run(events <-chan gateway.Event) {
	defer h.wg.Done()
	ticker := time.NewTicker(tickInterval)
	defer ticker.Stop()
	h.sample(h.now(), h.src.Stats())
	for {
		select {
		case <-h.stop:
			return
		case e, ok := <-events:
			if !ok {
				return
			}
			h.event(e)
		case <-ticker.C:
			h.tick(h.now())
		}
	}
}

// event counts e in its route's rates and sends it to every client.
func (h *hub) event(e gateway.Event) {
	if e.Time.IsZero() {
		e.Time = h.now()
	}
	if q, ok := quantityOf(e.Type); ok {
		if r := h.routeSeries(e.Route); r != nil {
			r.add(e.Time, q, 1)
		}
	}
	if h.nclients.Load() == 0 {
		return
	}
	b, err := json.Marshal(eventFrameOf(e))
	if err != nil {
		return
	}
	h.mu.Lock()
	for c := range h.clients {
		select {
		case c.send <- b: // shared: no one writes to it
		default:
			c.dropped.Add(1)
			h.dropped.Add(1)
		}
	}
	h.mu.Unlock()
}

func (h *hub) routeSeries(route string) *series {
	r, ok := h.routes[route]
	if !ok {
		if len(h.routes) >= maxRoutes {
			return nil
		}
		r = newSeries(time.Second, rateSlots)
		h.routes[route] = r
	}
	return r
}

// quantityOf says what an event counts as in the rates: accepted,
// delivered (delivered or sent), failed (failed or expired).
func quantityOf(t gateway.EventType) (int, bool) {
	switch t {
	case gateway.EventAccepted:
		return qAccepted, true
	case gateway.EventDelivered, gateway.EventSent:
		return qDelivered, true
	case gateway.EventFailed, gateway.EventExpired:
		return qFailed, true
	}
	return 0, false
}

// sample adds what the gateway's outcome counters gained since the last
// sample to the throughput series. Counters, not events: the subscription
// may lose events under load, the counters lose nothing.
func (h *hub) sample(now time.Time, st gateway.Stats) {
	var totals [nQuantities]int64
	for _, o := range st.Outcomes {
		if q, ok := quantityOf(o.Event); ok {
			totals[q] += o.Count
		}
	}
	if h.sampled {
		for q := range totals {
			if d := totals[q] - h.lastTotals[q]; d > 0 {
				h.throughputs.add(now, q, d)
				h.recent.add(now, q, d)
			}
		}
	}
	h.lastTotals, h.sampled = totals, true
}

// tick samples the counters and sends every client the status summary with
// its own drop count.
func (h *hub) tick(now time.Time) {
	st := h.src.Stats()
	h.sample(now, st)
	if h.nclients.Load() == 0 {
		return
	}
	frame := h.tickFrameOf(now, st)
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		frame.Dropped = c.dropped.Load()
		b, err := json.Marshal(frame)
		if err != nil {
			return
		}
		c.offerTick(b)
	}
}

// throughput is the chart's data: the last hour in 10-second buckets.
func (h *hub) throughput() Throughput {
	return Throughput{StepSeconds: int(throughputStep / time.Second), Buckets: h.throughputs.window(h.now())}
}

// Throughput is the answer of GET /api/throughput.
type Throughput struct {
	StepSeconds int      `json:"step_seconds"`
	Buckets     []Bucket `json:"buckets"` // oldest first; the last is still filling
}

// register adds a websocket client and starts its goroutines; false when
// the hub is closed or full.
func (h *hub) register(conn *websocket.Conn, raw *batchConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || len(h.clients) >= maxClients {
		return false
	}
	c := &client{
		conn: conn,
		raw:  raw,
		send: make(chan []byte, clientBuffer),
		tick: make(chan []byte, 1),
		quit: make(chan struct{}),
	}
	h.clients[c] = struct{}{}
	h.nclients.Add(1)
	h.wg.Add(2)
	go h.write(c)
	go h.read(c)
	return true
}

func (h *hub) unregister(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		h.nclients.Add(-1)
	}
}

// client is one websocket connection: the hub queues frames on send (never
// blocking) and the latest tick on tick; its writer goroutine is the only
// one that writes data frames.
type client struct {
	conn     *websocket.Conn
	raw      *batchConn // under conn
	send     chan []byte
	tick     chan []byte
	quit     chan struct{}
	quitOnce sync.Once
	dropped  atomic.Int64 // event frames this client missed
}

// leave asks the writer to send a close frame and end.
func (c *client) leave() { c.quitOnce.Do(func() { close(c.quit) }) }

// offerTick replaces a tick the writer has not sent yet: only the latest
// matters.
func (c *client) offerTick(b []byte) {
	select {
	case <-c.tick:
	default:
	}
	select {
	case c.tick <- b:
	default:
	}
}

// write sends the client's frames until it leaves or a write fails (a
// client that takes longer than writeTimeout is gone); it closes the
// connection, which ends read.
func (h *hub) write(c *client) {
	defer h.wg.Done()
	defer func() { _ = c.conn.Close() }()
	defer h.unregister(c)
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	for {
		var err error
		select {
		case <-c.quit:
			msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "iwf console stopping")
			_ = c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
			return
		case b := <-c.send:
			err = c.writeBatch(b)
		case b := <-c.tick:
			_ = c.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
			err = c.conn.WriteMessage(websocket.TextMessage, b)
		case <-ping.C:
			err = c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout))
		}
		if err != nil {
			return
		}
	}
}

// writeBatch writes b and the frames queued behind it (up to maxBatch) in
// one write to the socket.
func (c *client) writeBatch(b []byte) error {
	_ = c.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	c.raw.cork()
	err := c.conn.WriteMessage(websocket.TextMessage, b)
	for n := 1; err == nil && n < maxBatch; n++ {
		select {
		case b = <-c.send:
			err = c.conn.WriteMessage(websocket.TextMessage, b)
		default:
			n = maxBatch
		}
	}
	if ferr := c.raw.flush(); err == nil {
		err = ferr
	}
	return err
}

// read discards what the client sends (nothing is expected) and answers
// its control frames; a client silent past pongWait is gone.
func (h *hub) read(c *client) {
	defer h.wg.Done()
	defer c.leave()
	c.conn.SetReadLimit(512)
	_ = c.conn.SetReadDeadline(time.Now().Add(pongWait))
	c.conn.SetPongHandler(func(string) error { return c.conn.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		if _, _, err := c.conn.NextReader(); err != nil {
			return
		}
	}
}
