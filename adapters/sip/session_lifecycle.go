package sip

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/iwf-gateway/iwf/adapters/sip/mediasession"
)

// EnableSessions turns on CPM sessions (INVITE + MSRP) for an Endpoint
// not yet started: Start then also starts the MSRP listener
// (Config.MSRPListen) and serves INVITE, ACK, BYE and UPDATE. h
// receives each incoming session; a nil h refuses them with 480 while
// OpenSession still works. Without EnableSessions INVITE is answered
// 405, as before, and OpenSession fails with ErrSessionsDisabled.
func (e *Endpoint) EnableSessions(h SessionHandler) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.draining:
		return ErrClosed
	case e.started:
		return ErrAlreadyStarted
	}
	e.sessionsOn, e.sessionHandler = true, h
	return nil
}

// startMedia starts the MSRP endpoint when sessions are on. Called by
// Start with e.mu held.
func (e *Endpoint) startMedia(ctx context.Context) error {
	if !e.sessionsOn {
		return nil
	}
	secure, err := e.cfg.loadMSRPTLS()
	if err != nil {
		return err
	}
	mc := e.cfg.mediaConfig()
	mc.TLS = secure.config
	m, err := mediasession.NewEndpoint(mc, e.log)
	if err != nil {
		return fmt.Errorf("sip: MSRP: %w", err)
	}
	if err := m.Start(ctx); err != nil {
		m.Close()
		return fmt.Errorf("sip: MSRP: %w", err)
	}
	e.media, e.sessions = m, newSessionTable(e.cfg.MSRPMaxSessions)
	e.mediaPrint = secure.fingerprint
	return nil
}

// MSRPAddr returns the MSRP listener's address, "" when sessions are off
// or before Start.
func (e *Endpoint) MSRPAddr() string {
	e.mu.Lock()
	m := e.media
	e.mu.Unlock()
	if m == nil {
		return ""
	}
	return m.Addr()
}

// Sessions returns how many sessions are open or being set up.
func (e *Endpoint) Sessions() int {
	e.mu.Lock()
	t := e.sessions
	e.mu.Unlock()
	if t == nil {
		return 0
	}
	return t.count()
}

// drainSessions is Shutdown's part for sessions: it waits for the
// Sends and message deliveries under way, ends every session with BYE,
// then closes the MSRP endpoint and waits for the run loops, or for ctx.
func (e *Endpoint) drainSessions(ctx context.Context) error {
	if e.media == nil {
		return nil
	}
	if err := e.mediaBusy.wait(ctx); err != nil {
		return err
	}
	var byes sync.WaitGroup
	for _, s := range e.sessions.all() {
		byes.Go(func() { _ = s.hangUp(ctx, ErrClosed) })
	}
	byes.Wait()
	if err := e.media.Shutdown(ctx); err != nil {
		return err
	}
	loops := make(chan struct{})
	go func() { e.sessionLoops.Wait(); close(loops) }()
	select {
	case <-loops:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// busyCount counts Sends and message deliveries under way, so that
// Shutdown can wait for them.
type busyCount struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to 0, if someone waits
}

func (b *busyCount) add() {
	b.mu.Lock()
	b.n++
	b.mu.Unlock()
}

func (b *busyCount) done() {
	b.mu.Lock()
	b.n--
	if b.n == 0 && b.idle != nil {
		close(b.idle)
		b.idle = nil
	}
	b.mu.Unlock()
}

// wait returns once nothing is under way, or with ctx's error.
func (b *busyCount) wait(ctx context.Context) error {
	b.mu.Lock()
	if b.n == 0 {
		b.mu.Unlock()
		return nil
	}
	if b.idle == nil {
		b.idle = make(chan struct{})
	}
	idle := b.idle
	b.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// closeSessions is Close's part for sessions: it closes the MSRP
// endpoint (cancelling MessageHandlers and waiting for them), ends every
// session without BYE, and waits for the run loops. Called once no
// INVITE handler or OpenSession runs any more.
func (e *Endpoint) closeSessions() {
	if e.media == nil {
		return
	}
	e.media.Close()
	for _, s := range e.sessions.all() {
		s.finish(ErrClosed)
	}
	e.sessionLoops.Wait()
}

// dialogClient is the sipgo client of listener l's stack that sends
// iwf's requests in the dialogs l carries: over UDP from the listener's
// own socket, over TCP on a connection from the listener's address, so
// that a peer answering to where requests come from, or to the
// dialog's Contact, reaches the stack that waits for the answer.
func (e *Endpoint) dialogClient(ua *sipgo.UserAgent, l *listener) (*sipgo.Client, error) {
	host, _, _ := net.SplitHostPort(l.addr)
	ip, err := netip.ParseAddr(host)
	opts := []sipgo.ClientOption{sipgo.WithClientLogger(e.log)}
	switch {
	case err != nil || ip.IsUnspecified():
		opts = append(opts, sipgo.WithClientHostname(e.cfg.Domain))
	case l.network == "udp":
		opts = append(opts, sipgo.WithClientConnectionAddr(l.addr))
	default:
		opts = append(opts, sipgo.WithClientConnectionAddr(net.JoinHostPort(host, "0")))
	}
	return sipgo.NewClient(ua, opts...)
}

// beginMedia registers a Send; false once Shutdown or Close began.
func (e *Endpoint) beginMedia() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.draining {
		return false
	}
	e.mediaBusy.add()
	return true
}
