package smpp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp/pdu"
)

// Submit sends sm as one submit_sm and returns the SMSC's message_id.
//
// It waits (bounded by ctx) for a bound transmitter with room in its
// window and budget under MaxRate; it does not wait for a bind: with no
// transmitter bound it fails at once with ErrNotBound. ESME_RTHROTTLED
// and ESME_RMSGQFUL come back as a temporary *StatusError whose
// RetryAfter is a tenth of ThrottlePause, and, once most of the bind's
// recent submits are throttled, pause that bind for ThrottlePause (see
// throttleGauge). Submit does not retry: the caller decides. Any
// other error status is a *StatusError, permanent unless Temporary says
// otherwise. A connection lost before the response, a response timeout
// and a closed client give errors for which IsTemporary is true; the
// message may then have reached the SMSC (at-least-once).
func (c *Client) Submit(ctx context.Context, sm *ShortMessage) (string, error) {
	if c.draining.Load() {
		return "", ErrClosed
	}
	if len(sm.Message) > 255 {
		return "", ErrMessageTooLong
	}
	for {
		sl, err := c.takeToken(ctx)
		if err != nil {
			return "", err
		}
		s := sl.take()
		if s == nil {
			continue
		}
		id, err := c.submitOn(ctx, sl, s, sm)
		sl.give()
		return id, err
	}
}

// takeToken waits for a window place of any bound transmitter.
func (c *Client) takeToken(ctx context.Context) (*slot, error) {
	select {
	case sl := <-c.tokens:
		return sl, nil
	default:
	}
	for {
		changed := c.changedCh()
		if c.bound.Load() == 0 {
			return nil, ErrNotBound
		}
		select {
		case sl := <-c.tokens:
			return sl, nil
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("smpp: submit_sm: waiting for window: %w", ctx.Err())
		case <-c.quit:
			return nil, ErrClosed
		}
	}
}

func (c *Client) submitOn(ctx context.Context, sl *slot, s *session, sm *ShortMessage) (string, error) {
	if err := sl.rate.wait(ctx); err != nil {
		return "", fmt.Errorf("smpp: submit_sm: waiting for rate: %w", err)
	}
	sl.inWindow.Add(1)
	p, err := s.request(ctx, func(dst []byte, seq uint32) ([]byte, error) {
		return AppendShortMessage(dst, pdu.SubmitSM, seq, sm)
	})
	sl.inWindow.Add(-1)
	if err == nil {
		throttled := p.Status == pdu.StatusThrottled || p.Status == pdu.StatusMsgQFul
		pause := sl.throttle.observe(throttled, c.cfg.ThrottlePause)
		if p.Status != pdu.StatusOK {
			se := &StatusError{Status: p.Status, Command: "submit_sm", retryAfter: c.cfg.ThrottlePause / 10}
			if pause > 0 {
				se.retryAfter = pause
				sl.rate.pause(pause)
				c.log.Warn("smpp: throttled by SMSC; bind paused", "bind", sl.name, "status", pdu.StatusName(p.Status), "pause", pause)
			}
			err = se
		}
	}
	if err == nil && p.CommandID != pdu.SubmitSMResp {
		err = fmt.Errorf("%w: submit_sm answered with %s", ErrMalformedResponse, p.CommandID)
	}
	if err != nil {
		sl.errors.Add(1)
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return "", fmt.Errorf("smpp: submit_sm: %w", err)
		}
		return "", err
	}
	sl.submits.Add(1)
	id, _ := p.Field("message_id")
	return string(id.Bytes), nil
}

// throttleGauge decides when an SMSC's throttling answers mean "stop for
// a while": it keeps a moving average of the share of submits throttled
// (over roughly the last 50) and pauses the bind only while that share is
// above throttlePauseShare. An SMSC that throttles a scattering of submits
// costs those submits a short retry, not the whole bind a pause; one that
// throttles most of them gets the pause. Safe for concurrent use.
type throttleGauge struct {
	mu    sync.Mutex
	share float64
}

const (
	throttleAlpha      = 0.02 // weight of the newest answer in the average
	throttlePauseShare = 0.25 // pause above this share of throttled answers
)

// observe records one submit_sm_resp and returns how long to pause the
// bind (0: no pause).
func (g *throttleGauge) observe(throttled bool, pause time.Duration) time.Duration {
	v := 0.0
	if throttled {
		v = 1
	}
	g.mu.Lock()
	g.share += throttleAlpha * (v - g.share)
	over := g.share > throttlePauseShare
	g.mu.Unlock()
	if throttled && over {
		return pause
	}
	return 0
}

// limiter spaces submits of one bind by interval and holds them all back
// during a pause. Concurrency: safe for concurrent use.
type limiter struct {
	interval time.Duration
	until    atomic.Int64 // unix nanoseconds before which nothing is sent (pause)

	mu   sync.Mutex
	next time.Time
}

func (l *limiter) pause(d time.Duration) {
	t := time.Now().Add(d).UnixNano()
	for {
		cur := l.until.Load()
		if cur >= t || l.until.CompareAndSwap(cur, t) {
			return
		}
	}
}

// wait blocks until the caller may send, or ctx ends.
func (l *limiter) wait(ctx context.Context) error {
	now := time.Now()
	at := time.Unix(0, l.until.Load())
	if l.interval > 0 {
		l.mu.Lock()
		at = maxTime(maxTime(at, now), l.next)
		l.next = at.Add(l.interval)
		l.mu.Unlock()
	}
	if !at.After(now) {
		return nil
	}
	t := time.NewTimer(at.Sub(now))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
