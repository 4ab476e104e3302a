package sip

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkInboundMessageUDP drives MESSAGEs over loopback UDP from 32
// raw sockets, each waiting for its 202 before the next send, into an
// Endpoint whose Handler returns nil at once. It reports msgs/s.
func BenchmarkInboundMessageUDP(b *testing.B) {
	e := startEndpoint(b, Config{Listen: []string{"udp:127.0.0.1:0"}}, func(context.Context, *Request) error { return nil })
	to, err := net.ResolveUDPAddr("udp", addrOf(b, e, "udp"))
	if err != nil {
		b.Fatal(err)
	}
	const senders = 32
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	b.ResetTimer()
	for s := range senders {
		wg.Go(func() {
			if err := benchSender(s, to, b.N, &next); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func benchSender(id int, to *net.UDPAddr, total int, next *atomic.Int64) error {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 4096)
	prefix := "b" + strconv.Itoa(id) + "-"
	for {
		n := next.Add(1)
		if n > int64(total) {
			return nil
		}
		tag := prefix + strconv.FormatInt(n, 10)
		msg := wireRequest{sentBy: c.LocalAddr().String(), branch: tag, callID: tag,
			headers: []string{"Content-Type: text/plain"}, body: []byte("benchmark message")}.bytes()
		if _, err := c.WriteToUDP(msg, to); err != nil {
			return err
		}
		c.SetReadDeadline(time.Now().Add(ioBound))
		m, _, err := c.ReadFromUDP(buf)
		if err != nil {
			return err
		}
		if !bytes.HasPrefix(buf[:m], []byte("SIP/2.0 202")) {
			return &StatusError{Code: 0, Reason: string(buf[:min(m, 40)])}
		}
	}
}
