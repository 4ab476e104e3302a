package imps

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

// session is one logged-in CSP session. Its lost channel closes once, when
// the session ends for any reason (Disconnect, a 600/601/604 result,
// logout); pollNow holds at most one pending "poll at once".
type session struct {
	id        string
	keepAlive atomic.Int64 // granted KeepAliveTime, as a time.Duration
	pollNow   chan struct{}

	lostOnce sync.Once
	lost     chan struct{}
	cause    error // set before lost closes
}

func newSession(id string, keepAlive time.Duration) *session {
	s := &session{id: id, pollNow: make(chan struct{}, 1), lost: make(chan struct{})}
	s.keepAlive.Store(int64(keepAlive))
	return s
}

// descriptor is the SessionDescriptor of a request in s (none for nil).
func (s *session) descriptor() wv.SessionDescriptor {
	if s == nil {
		return wv.SessionDescriptor{SessionType: wv.SessionInband}
	}
	return wv.SessionDescriptor{SessionType: wv.SessionInband, SessionID: s.id}
}

// lostCh returns the channel closed when s ends; nil (never ready) for nil.
func (s *session) lostCh() <-chan struct{} {
	if s == nil {
		return nil
	}
	return s.lost
}

func (s *session) alive() bool {
	select {
	case <-s.lost:
		return false
	default:
		return true
	}
}

func (s *session) end(cause error) {
	s.lostOnce.Do(func() { s.cause = cause; close(s.lost) })
}

func (s *session) wantPoll() {
	select {
	case s.pollNow <- struct{}{}:
	default:
	}
}

// keepAliveEvery is three quarters of the granted keep-alive time.
func (s *session) keepAliveEvery() time.Duration {
	d := time.Duration(s.keepAlive.Load()) * 3 / 4
	return max(d, 500*time.Millisecond)
}

// loop keeps a session up until ctx ends: login, serve, and after the
// session is lost a new login with back-off.
func (c *Client) loop(ctx context.Context) {
	backoff := c.cfg.ReloginMin
	for ctx.Err() == nil {
		s, err := c.login(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			c.log.Warn("imps: login failed", "user", c.cfg.User, "err", err, "retry_in", backoff)
			if !sleepCtx(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, c.cfg.ReloginMax)
			continue
		}
		backoff = c.cfg.ReloginMin
		c.log.Info("imps: logged in", "user", c.cfg.User, "session", s.id, "keep_alive", time.Duration(s.keepAlive.Load()))
		c.setSession(s)
		c.serve(ctx, s)
		if ctx.Err() != nil {
			return // the session stays set: Shutdown logs it out
		}
		c.setSession(nil)
		c.log.Warn("imps: session lost", "session", s.id, "cause", s.cause)
		if !sleepCtx(ctx, c.cfg.ReloginMin) {
			return
		}
	}
}

// serve polls and keeps s alive until s is lost or ctx ends.
func (c *Client) serve(ctx context.Context, s *session) {
	poll := time.NewTimer(0)
	defer poll.Stop()
	keepAlive := time.NewTimer(s.keepAliveEvery())
	defer keepAlive.Stop()
	immediate := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.lost:
			return
		case <-keepAlive.C:
			c.keepAlive(ctx, s)
			keepAlive.Reset(s.keepAliveEvery())
			continue
		case <-s.pollNow:
			if immediate >= c.cfg.MaxImmediatePolls {
				continue // wait for the interval
			}
			immediate++
		case <-poll.C:
			immediate = 0
		}
		c.poll(ctx, s)
		poll.Reset(c.cfg.PollInterval)
	}
}

func (c *Client) keepAlive(ctx context.Context, s *session) {
	rep, err := c.request(ctx, s, &wv.KeepAliveRequest{TimeToLive: seconds(c.cfg.KeepAliveTime)}, true)
	if err == nil {
		var r *wv.KeepAliveResponse
		if r, err = checkResult[*wv.KeepAliveResponse]("KeepAlive-Request", rep.primitive); err == nil && r != nil && r.KeepAliveTime > 0 {
			s.keepAlive.Store(int64(time.Duration(r.KeepAliveTime) * time.Second))
		}
	}
	if err != nil {
		c.log.Warn("imps: keep-alive failed", "session", s.id, "err", err)
	}
	c.handleInbound(ctx, s, rep.inbound)
}

func (c *Client) poll(ctx context.Context, s *session) {
	rep, err := c.request(ctx, s, &wv.PollingRequest{}, false)
	if err == nil && rep.primitive != nil {
		_, err = checkResult[*wv.Status]("Polling-Request", rep.primitive)
	}
	if err != nil {
		c.log.Warn("imps: polling failed", "session", s.id, "err", err)
	}
	c.handleInbound(ctx, s, rep.inbound)
}

func seconds(d time.Duration) uint32 { return uint32(d / time.Second) }

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
