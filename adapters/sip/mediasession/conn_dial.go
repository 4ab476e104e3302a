package mediasession

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/iwf-gateway/iwf/adapters/sip/msrp"
)

// dialCall is a dial in progress that concurrent Connects to the same
// authority wait for instead of dialling again.
type dialCall struct {
	ready chan struct{}
	c     *conn
	err   error
}

// dial returns a connection to the authority of u with one reference
// taken for the caller: the connection iwf dialled there before if it is
// still open (RFC 4975 section 5.4 connection reuse), else a new one.
func (e *Endpoint) dial(ctx context.Context, u msrp.URI) (*conn, error) {
	key := authorityKey(u)
	for {
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			return nil, ErrClosed
		}
		if c := e.dialled[key]; c != nil {
			c.refs++
			e.mu.Unlock()
			return c, nil
		}
		call := e.dialing[key]
		if call == nil {
			call = &dialCall{ready: make(chan struct{})}
			e.dialing[key] = call
			e.mu.Unlock()
			e.dialNew(ctx, key, u, call)
			if call.err != nil {
				return nil, call.err
			}
			continue // take the reference under the lock like the others
		}
		e.mu.Unlock()
		select {
		case <-call.ready:
			if call.err != nil {
				return nil, call.err
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// dialNew dials u for call and registers the connection for reuse.
func (e *Endpoint) dialNew(ctx context.Context, key string, u msrp.URI, call *dialCall) {
	nc, err := e.dialSocket(ctx, u)
	e.mu.Lock()
	delete(e.dialing, key)
	switch {
	case err != nil:
		call.err = err
	case e.closed:
		nc.Close()
		call.err = ErrClosed
	default:
		c := newConn(e, nc, key, u.Secure)
		c.idleSince = e.clock.Load()
		e.conns[c] = struct{}{}
		e.dialled[key] = c
		call.c = c
		e.goroutines.Go(c.readLoop)
		e.log.Debug("mediasession: connection dialled", "remote", c.remote)
	}
	e.mu.Unlock()
	close(call.ready)
}

// dialSocket opens the TCP connection, with TLS for msrps.
func (e *Endpoint) dialSocket(ctx context.Context, u msrp.URI) (net.Conn, error) {
	if u.Secure && e.cfg.TLS == nil {
		return nil, fmt.Errorf("mediasession: dial %s: msrps needs EndpointConfig.TLS", u.String())
	}
	host := strings.TrimSuffix(strings.TrimPrefix(u.Host, "["), "]")
	addr := net.JoinHostPort(host, strconv.Itoa(u.PortOrDefault()))
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mediasession: dial %s: %w", addr, err)
	}
	if !u.Secure {
		return nc, nil
	}
	cfg := e.cfg.TLS.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("mediasession: TLS handshake with %s: %w", addr, err)
	}
	return tc, nil
}
