package gateway

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ChargingRecord is one line of the charging files (the CH-x interface):
// one per chargeable event of a message. The format is documented in the
// README; fields are only ever added.
type ChargingRecord struct {
	Time      time.Time `json:"time"`      // when the event happened (UTC)
	Event     EventType `json:"event"`     // accepted, delivered, sent, failed, expired
	Network   string    `json:"network"`   // sms, mms, imps: the legacy network involved
	Direction string    `json:"direction"` // to_legacy (CPM user -> legacy user) or to_cpm
	Route     string    `json:"route"`     // the SMSC, MM7 link or IMPS server; "cpm" toward CPM users
	MessageID string    `json:"message_id"`
	Seq       uint64    `json:"seq"` // journal entry
	From      string    `json:"from"`
	To        string    `json:"to"`
	Parts     int       `json:"parts"`              // body parts
	Bytes     int       `json:"bytes"`              // body bytes
	Segments  int       `json:"segments,omitempty"` // SMS segments submitted
	Reason    string    `json:"reason,omitempty"`
}

// ChargingConfig places and rotates the charging files.
type ChargingConfig struct {
	// Dir holds the files charging-<UTC time>.jsonl; empty: charging is
	// off. The config's default is <data_dir>/charging.
	Dir string `yaml:"dir"`
	// MaxBytes starts a new file when the current one reaches it; default
	// 64 MiB.
	MaxBytes int64 `yaml:"max_bytes"`
	// MaxAge starts a new file after this long; default 1h.
	MaxAge time.Duration `yaml:"max_age"`
	// Flush is how often buffered records are written out; a crash loses
	// at most this much. Default 1s.
	Flush time.Duration `yaml:"flush"`
}

// ChargingFiles writes charging records as JSON lines to rotating files.
// A file is complete (flushed, synced, closed) once a newer one exists.
type ChargingFiles struct {
	cfg  ChargingConfig
	log  *slog.Logger
	now  func() time.Time
	mu   sync.Mutex
	f    *os.File
	w    *bufio.Writer
	size int64
	open time.Time
	err  error // the last write error, logged once

	stop chan struct{}
	done chan struct{}
}

// OpenChargingFiles creates the directory and starts the periodic flush.
func OpenChargingFiles(cfg ChargingConfig, log *slog.Logger) (*ChargingFiles, error) {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 64 << 20
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = time.Hour
	}
	if cfg.Flush <= 0 {
		cfg.Flush = time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("charging: %w", err)
	}
	c := &ChargingFiles{cfg: cfg, log: log, now: time.Now, stop: make(chan struct{}), done: make(chan struct{})}
	go c.flusher()
	return c, nil
}

// Charge writes the record of a chargeable event.
func (c *ChargingFiles) Charge(e Event) {
	line, err := json.Marshal(newChargingRecord(e))
	if err != nil {
		return
	}
	line = append(line, '\n')
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.rotateLocked(int64(len(line))); err != nil {
		c.failed(err)
		return
	}
	n, err := c.w.Write(line)
	c.size += int64(n)
	if err != nil {
		c.failed(err)
	}
}

func (c *ChargingFiles) failed(err error) {
	if c.err == nil {
		c.log.Error("charging: records are not being written", "dir", c.cfg.Dir, "err", err)
	}
	c.err = err
}

// rotateLocked opens the first file, or a new one when the current one is
// full or old.
func (c *ChargingFiles) rotateLocked(next int64) error {
	now := c.now()
	if c.f != nil && c.size+next <= c.cfg.MaxBytes && now.Sub(c.open) < c.cfg.MaxAge {
		return nil
	}
	if err := c.closeLocked(); err != nil {
		return err
	}
	name := filepath.Join(c.cfg.Dir, "charging-"+now.UTC().Format("20060102T150405.000000000Z")+".jsonl")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	c.f, c.w, c.size, c.open, c.err = f, bufio.NewWriterSize(f, 64<<10), 0, now, nil
	return nil
}

func (c *ChargingFiles) closeLocked() error {
	if c.f == nil {
		return nil
	}
	err := c.w.Flush()
	if serr := c.f.Sync(); err == nil {
		err = serr
	}
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	c.f, c.w = nil, nil
	return err
}

func (c *ChargingFiles) flusher() {
	defer close(c.done)
	t := time.NewTicker(c.cfg.Flush)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.mu.Lock()
			if c.w != nil {
				if err := c.w.Flush(); err != nil {
					c.failed(err)
				}
			}
			c.mu.Unlock()
		}
	}
}

// Close writes out and closes the current file. It is idempotent.
func (c *ChargingFiles) Close() error {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeLocked()
}
