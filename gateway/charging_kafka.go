package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Record is one record for a RecordWriter. Records with the same Key keep
// their order.
type Record struct {
	Key, Value []byte
}

// RecordWriter appends records to a durable topic: the Kafka journal's
// TopicWriter, adapted by cmd/iwf, so that the gateway does not import a
// journal backend. Write returns nil once every record is stored; after an
// error some may be stored, and ChargingKafka writes them all again (so a
// consumer may see a record twice, byte for byte the same).
type RecordWriter interface {
	Write(ctx context.Context, recs []Record) error
	Close() error
}

// Defaults of ChargingKafkaConfig.
const (
	DefaultChargingBuffer       = 8192
	DefaultChargingBatch        = 1024
	DefaultChargingLinger       = 100 * time.Millisecond
	DefaultChargingWriteTimeout = 10 * time.Second
	DefaultChargingBackoff      = 100 * time.Millisecond
	DefaultChargingBackoffMax   = 5 * time.Second
	DefaultChargingSpillAfter   = 30 * time.Second
)

// ChargingKafkaConfig sizes the buffer of ChargingKafka and times its
// writes. Zero fields mean their defaults.
type ChargingKafkaConfig struct {
	// Buffer is the most records held in memory waiting for the topic
	// (default 8192); when it is full, Charge waits.
	Buffer int `yaml:"buffer"`
	// Batch is the most records per write (default 1024, at most Buffer).
	Batch int `yaml:"batch"`
	// Linger is the longest a record waits for its batch to fill
	// (default 100ms).
	Linger time.Duration `yaml:"linger"`
	// WriteTimeout bounds one write attempt (default 10s).
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// Backoff is the wait after the first failed write, doubled after
	// each further failure up to BackoffMax (defaults 100ms and 5s).
	Backoff    time.Duration `yaml:"backoff"`
	BackoffMax time.Duration `yaml:"backoff_max"`
	// SpillAfter is how long writes must have been failing before records
	// go to the spill sink instead of waiting (default 30s; negative:
	// never, Charge waits for the topic however long). Without a spill
	// sink records always wait.
	SpillAfter time.Duration `yaml:"spill_after"`
}

// ErrInvalidChargingConfig is wrapped by every error
// ChargingKafkaConfig.Validate returns.
var ErrInvalidChargingConfig = errors.New("charging: invalid config")

// Validate reports the first invalid field.
func (c ChargingKafkaConfig) Validate() error {
	switch {
	case c.Buffer < 0 || c.Batch < 0:
		return fmt.Errorf("%w: buffer %d and batch %d must not be negative", ErrInvalidChargingConfig, c.Buffer, c.Batch)
	case c.Linger < 0 || c.WriteTimeout < 0 || c.Backoff < 0 || c.BackoffMax < 0:
		return fmt.Errorf("%w: linger, write_timeout, backoff and backoff_max must not be negative", ErrInvalidChargingConfig)
	}
	d := c.WithDefaults()
	switch {
	case d.Batch > d.Buffer:
		return fmt.Errorf("%w: batch %d exceeds buffer %d", ErrInvalidChargingConfig, d.Batch, d.Buffer)
	case d.Backoff > d.BackoffMax:
		return fmt.Errorf("%w: backoff %v exceeds backoff_max %v", ErrInvalidChargingConfig, d.Backoff, d.BackoffMax)
	}
	return nil
}

// WithDefaults returns c with zero fields set to their defaults; a Batch
// left zero is cut to a smaller Buffer.
func (c ChargingKafkaConfig) WithDefaults() ChargingKafkaConfig {
	if c.Buffer == 0 {
		c.Buffer = DefaultChargingBuffer
	}
	if c.Batch == 0 {
		c.Batch = min(DefaultChargingBatch, c.Buffer)
	}
	for _, d := range []struct {
		p   *time.Duration
		def time.Duration
	}{
		{&c.Linger, DefaultChargingLinger}, {&c.WriteTimeout, DefaultChargingWriteTimeout},
		{&c.Backoff, DefaultChargingBackoff}, {&c.BackoffMax, DefaultChargingBackoffMax},
		{&c.SpillAfter, DefaultChargingSpillAfter},
	} {
		if *d.p == 0 {
			*d.p = d.def
		}
	}
	return c
}

// ChargingLostError is returned by ChargingKafka.Close for the records it
// could neither write to the topic nor hand to a spill sink. Each is also
// logged, whole, at error level.
type ChargingLostError struct {
	Records int   // how many
	Err     error // the last write error
}

func (e *ChargingLostError) Error() string {
	return fmt.Sprintf("charging: %d records not written: %v", e.Records, e.Err)
}

func (e *ChargingLostError) Unwrap() error { return e.Err }

// ChargingKafkaStats are counters for metrics and tests.
type ChargingKafkaStats struct {
	Written  uint64 // records the topic acknowledged
	Spilled  uint64 // records handed to the spill sink
	Retries  uint64 // failed writes tried again
	Lost     uint64 // records neither written nor spilled
	Buffered int    // records waiting in memory
	Waiting  int    // Charge calls blocked on a full buffer
	Spilling bool   // records go to the spill sink
}

// waitLogInterval is the least time between two logs of a full buffer.
const waitLogInterval = time.Minute

// chargingItem is a charged event and its record, marshalled once: a
// record written again is the same bytes.
type chargingItem struct {
	event  Event
	record Record
}

// ChargingKafka is a ChargingSink that writes the records of
// ChargingFiles (the same JSON, keyed by message id, so one message's
// records stay in one partition and in order) to a topic through a
// RecordWriter.
//
// Charge marshals the record and puts it in a bounded buffer; one
// goroutine writes the buffer in batches (Batch records, or what came
// within Linger) and retries a failed write with back-off, batches in
// order. When the buffer is full Charge waits: charging records are not
// dropped, the pipeline slows down instead (logged once a minute at
// most).
//
// When writes have been failing for SpillAfter and a spill sink was
// given (the charging files), records go to it instead: Charge no longer
// waits, and the writer tries the topic with one batch every BackoffMax,
// handing the others to the spill sink, until a write succeeds. Records
// in memory (at most Buffer, plus one batch) are lost in a crash, as a
// file's unflushed records are.
//
// Charge is safe for concurrent use. Close flushes and stops; records
// charged after Close go to the spill sink or are lost (counted, logged).
type ChargingKafka struct {
	cfg   ChargingKafkaConfig
	w     RecordWriter
	spill ChargingSink // nil: records always wait for the topic
	log   *slog.Logger
	queue chan chargingItem

	mu         sync.Mutex // guards downSince, spillMode, spilling, waitLogged and overflow
	downSince  time.Time  // first failed write of the current outage; zero while writes succeed
	spillMode  chan struct{}
	spilling   bool      // spillMode is closed
	waitLogged time.Time // when a full buffer was last logged; zero after an outage ends

	lastAttempt time.Time // of the writer goroutine, and of Close after it ended

	written, spilled, retries, lost atomic.Uint64
	waiting                         atomic.Int64

	// gate is held shared by Charge and exclusively by Close while it sets
	// closed, so that once Close drains the buffer no Charge adds to it.
	gate   sync.RWMutex
	closed bool
	// overflow holds records whose Charge was waiting when Close began;
	// Close writes them after the buffer. Guarded by mu.
	overflow []chargingItem

	bg        context.Context // ends when Close gives up waiting: cancels a write in progress
	abort     context.CancelFunc
	stop      chan struct{} // closed when Close begins
	done      chan struct{} // closed when the writer goroutine ended
	leftover  []chargingItem
	closeOnce sync.Once
	closeErr  error
}

var _ ChargingSink = (*ChargingKafka)(nil)

// NewChargingKafka starts writing charging records through w. spill, when
// not nil, takes the records the topic cannot (see ChargingKafka); it is
// not closed by Close. log may be nil.
func NewChargingKafka(cfg ChargingKafkaConfig, w RecordWriter, spill ChargingSink, log *slog.Logger) (*ChargingKafka, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &ChargingKafka{
		cfg: cfg, w: w, spill: spill, log: log,
		queue:     make(chan chargingItem, cfg.Buffer),
		spillMode: make(chan struct{}),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	c.bg, c.abort = context.WithCancel(context.Background())
	go c.run()
	return c, nil
}

// newChargingRecord is the charging record of e, the same for every sink.
func newChargingRecord(e Event) ChargingRecord {
	return ChargingRecord{
		Time: e.Time.UTC(), Event: e.Type, Network: e.Network, Direction: e.Direction, Route: e.Route,
		MessageID: e.ID, Seq: e.Seq, From: e.From, To: e.To, Parts: e.Parts, Bytes: e.Bytes, Segments: e.Segments, Reason: e.Reason,
	}
}

// Charge queues the record of e, waiting while the buffer is full (see
// ChargingKafka).
func (c *ChargingKafka) Charge(e Event) {
	value, err := json.Marshal(newChargingRecord(e))
	if err != nil { // a time beyond year 9999
		c.log.Error("charging: record does not marshal", "seq", e.Seq, "err", err)
		c.lost.Add(1)
		return
	}
	key := e.ID
	if key == "" {
		key = "seq-" + strconv.FormatUint(e.Seq, 10)
	}
	it := chargingItem{event: e, record: Record{Key: []byte(key), Value: value}}
	c.gate.RLock()
	defer c.gate.RUnlock()
	if c.closed {
		c.late(it)
		return
	}
	select {
	case c.queue <- it:
		return
	default:
	}
	c.mu.Lock()
	spillMode, spilling := c.spillMode, c.spilling
	logIt := !spilling && time.Since(c.waitLogged) >= waitLogInterval
	if logIt {
		c.waitLogged = time.Now()
	}
	c.mu.Unlock()
	if spilling {
		c.toSpill([]chargingItem{it})
		return
	}
	if logIt {
		c.log.Warn("charging: buffer full, the pipeline waits for the charging topic", "buffer", c.cfg.Buffer)
	}
	c.waiting.Add(1)
	defer c.waiting.Add(-1)
	select {
	case c.queue <- it:
	case <-spillMode:
		c.toSpill([]chargingItem{it})
	case <-c.stop:
		c.mu.Lock()
		c.overflow = append(c.overflow, it)
		c.mu.Unlock()
	}
}

// late handles a record charged once Close began.
func (c *ChargingKafka) late(it chargingItem) {
	if c.spill != nil {
		c.toSpill([]chargingItem{it})
		return
	}
	c.dropped([]chargingItem{it}, errors.New("charged after close"))
}

// run is the writer goroutine: it gathers batches and delivers them, in
// order, until Close stops it; a batch it has not written then is left
// for Close.
func (c *ChargingKafka) run() {
	defer close(c.done)
	linger := time.NewTimer(c.cfg.Linger)
	defer linger.Stop()
	batch := make([]chargingItem, 0, c.cfg.Batch)
	for {
		batch = batch[:0]
		select {
		case it := <-c.queue:
			batch = append(batch, it)
		case <-c.stop:
			return
		}
		linger.Reset(c.cfg.Linger)
	fill:
		for len(batch) < c.cfg.Batch {
			select {
			case it := <-c.queue:
				batch = append(batch, it)
			case <-linger.C:
				break fill
			case <-c.stop:
				c.leftover = batch
				return
			}
		}
		linger.Stop()
		if rest := c.deliver(batch); rest != nil {
			c.leftover = rest
			return
		}
	}
}

// deliver writes batch, retrying with back-off, or hands it to the spill
// sink in spill mode. It returns the batch unwritten when Close stops it.
func (c *ChargingKafka) deliver(batch []chargingItem) []chargingItem {
	recs := records(batch)
	delay := c.cfg.Backoff
	for {
		if c.isSpilling() && time.Since(c.lastAttempt) < c.cfg.BackoffMax {
			c.toSpill(batch)
			return nil
		}
		err := c.writeOnce(c.bg, recs)
		if err == nil {
			c.wrote(len(batch))
			return nil
		}
		if c.failed(err) {
			c.toSpill(batch)
			return nil
		}
		c.retries.Add(1)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-c.stop:
			t.Stop()
			return batch
		}
		delay = min(2*delay, c.cfg.BackoffMax)
	}
}

func records(items []chargingItem) []Record {
	recs := make([]Record, len(items))
	for i, it := range items {
		recs[i] = it.record
	}
	return recs
}

// writeOnce is one write attempt, bounded by WriteTimeout.
func (c *ChargingKafka) writeOnce(ctx context.Context, recs []Record) error {
	c.lastAttempt = time.Now()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.WriteTimeout)
	defer cancel()
	return c.w.Write(ctx, recs)
}

// wrote counts n records written and ends an outage.
func (c *ChargingKafka) wrote(n int) {
	c.written.Add(uint64(n))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.downSince.IsZero() {
		return
	}
	c.log.Info("charging: topic writable again", "down_for", time.Since(c.downSince).Round(time.Millisecond),
		"spilled", c.spilled.Load())
	c.downSince, c.waitLogged = time.Time{}, time.Time{}
	if c.spilling {
		c.spillMode, c.spilling = make(chan struct{}), false
	}
}

// failed notes a failed write and reports whether records now go to the
// spill sink.
func (c *ChargingKafka) failed(err error) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.downSince.IsZero() {
		c.downSince = now
		c.log.Warn("charging: cannot write to the charging topic, retrying", "err", err)
	}
	if c.spilling || c.spill == nil || c.cfg.SpillAfter < 0 || now.Sub(c.downSince) < c.cfg.SpillAfter {
		return c.spilling
	}
	c.spilling = true
	close(c.spillMode)
	c.log.Error("charging: charging topic unwritable, records go to the spill files until it recovers",
		"down_for", now.Sub(c.downSince).Round(time.Millisecond), "err", err)
	return true
}

func (c *ChargingKafka) isSpilling() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.spilling
}

func (c *ChargingKafka) toSpill(items []chargingItem) {
	for _, it := range items {
		c.spill.Charge(it.event)
	}
	c.spilled.Add(uint64(len(items)))
}

// dropped logs, whole, records that neither the topic nor a spill sink
// took, so an operator can still bill them.
func (c *ChargingKafka) dropped(items []chargingItem, err error) {
	for _, it := range items {
		c.log.Error("charging: record not written", "record", string(it.record.Value), "err", err)
	}
	c.lost.Add(uint64(len(items)))
}

// Close stops taking records and writes out those buffered, retrying
// within ctx. In spill mode, or once ctx ends, what is left goes to the
// spill sink; without one it is lost and Close returns a
// *ChargingLostError (joined with any error of closing the writer). It
// waits for the writer goroutine and closes the RecordWriter. Later calls
// return the first call's result.
func (c *ChargingKafka) Close(ctx context.Context) error {
	c.closeOnce.Do(func() { c.closeErr = c.close(ctx) })
	return c.closeErr
}

func (c *ChargingKafka) close(ctx context.Context) error {
	close(c.stop) // ends the writer goroutine and waiting Charges
	c.gate.Lock()
	c.closed = true
	c.gate.Unlock()
	select {
	case <-c.done:
	case <-ctx.Done():
		c.abort() // a write in progress
		<-c.done
	}
	defer c.abort()
	rest := c.leftover
	for drained := false; !drained; {
		select {
		case it := <-c.queue:
			rest = append(rest, it)
		default:
			drained = true
		}
	}
	c.mu.Lock()
	rest = append(rest, c.overflow...)
	c.overflow = nil
	c.mu.Unlock()
	var lost error
	if rest, err := c.flush(ctx, rest); len(rest) > 0 {
		if c.spill != nil {
			c.toSpill(rest)
			c.log.Warn("charging: records left at close went to the spill files", "records", len(rest), "err", err)
		} else {
			c.dropped(rest, err)
			lost = &ChargingLostError{Records: len(rest), Err: err}
		}
	}
	return errors.Join(lost, c.w.Close())
}

// flush writes items in batches, retrying until ctx ends, and returns
// those it could not write with the last error. In spill mode it makes
// one attempt.
func (c *ChargingKafka) flush(ctx context.Context, items []chargingItem) ([]chargingItem, error) {
	delay := c.cfg.Backoff
	for len(items) > 0 {
		if err := ctx.Err(); err != nil {
			return items, err
		}
		n := min(len(items), c.cfg.Batch)
		err := c.writeOnce(ctx, records(items[:n]))
		if err == nil {
			c.wrote(n)
			items, delay = items[n:], c.cfg.Backoff
			continue
		}
		if c.failed(err) {
			return items, err
		}
		c.retries.Add(1)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return items, fmt.Errorf("%w (after %w)", ctx.Err(), err)
		}
		delay = min(2*delay, c.cfg.BackoffMax)
	}
	return nil, nil
}

// Stats returns the current counters.
func (c *ChargingKafka) Stats() ChargingKafkaStats {
	return ChargingKafkaStats{
		Written: c.written.Load(), Spilled: c.spilled.Load(), Retries: c.retries.Load(), Lost: c.lost.Load(),
		Buffered: len(c.queue), Waiting: int(c.waiting.Load()), Spilling: c.isSpilling(),
	}
}
