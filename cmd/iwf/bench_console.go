package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/gorilla/websocket"
)

// benchConsoleToken is the console token of a benchmark's iwf, so the
// bench can connect console clients.
const benchConsoleToken = "bench-console-token"

// consoleClients are websocket clients of iwf's console that read its
// live feed as a browser would, to measure what watching costs.
type consoleClients struct {
	frames atomic.Int64
	bytes  atomic.Int64
	cancel context.CancelFunc
	wg     sync.WaitGroup
	conns  []*websocket.Conn
}

// startConsoleClients connects n clients to the console at addr.
func startConsoleClients(ctx context.Context, addr string, n int) (*consoleClients, error) {
	cctx, cancel := context.WithCancel(ctx)
	c := &consoleClients{cancel: cancel}
	h := http.Header{"Authorization": {"Bearer " + benchConsoleToken}}
	for i := 0; i < n; i++ {
		conn, resp, err := websocket.DefaultDialer.DialContext(cctx, "ws://"+addr+"/ws", h)
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		if err != nil {
			c.stop()
			return nil, fmt.Errorf("bench: console client %d: %w", i+1, err)
		}
		c.conns = append(c.conns, conn)
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			for {
				_, r, err := conn.NextReader()
				if err != nil {
					return
				}
				nb, _ := io.Copy(io.Discard, r)
				c.frames.Add(1)
				c.bytes.Add(nb)
			}
		}()
	}
	go func() { <-cctx.Done(); c.closeConns() }()
	return c, nil
}

func (c *consoleClients) closeConns() {
	for _, conn := range c.conns {
		_ = conn.Close()
	}
}

// stop disconnects the clients and returns the frames and bytes they read.
func (c *consoleClients) stop() (frames, bytes int64) {
	c.cancel()
	c.closeConns()
	c.wg.Wait()
	return c.frames.Load(), c.bytes.Load()
}
