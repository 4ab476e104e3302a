package console

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/iwf-gateway/iwf/gateway"
)

// benchClient reads the live feed as fast as it can, measuring how old
// each event is when it arrives.
type benchClient struct {
	conn      *websocket.Conn
	mu        sync.Mutex
	got       int64
	dropped   int64 // from the latest tick
	latencies []time.Duration
	done      chan struct{}
}

func startBenchClient(b *testing.B, h *harness) *benchClient {
	b.Helper()
	conn, _, err := h.dial(nil)
	if err != nil {
		b.Fatal(err)
	}
	c := &benchClient{conn: conn, done: make(chan struct{})}
	go c.read()
	return c
}

func (c *benchClient) read() {
	defer close(c.done)
	for {
		_, msg, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		now := time.Now()
		if strings.HasPrefix(string(msg), `{"type":"tick"`) {
			var tf TickFrame
			if json.Unmarshal(msg, &tf) == nil {
				c.mu.Lock()
				c.dropped = tf.Dropped
				c.mu.Unlock()
			}
			continue
		}
		// {"time":"<RFC 3339>",…: the emit time, without decoding the rest.
		var lat time.Duration
		if rest, ok := strings.CutPrefix(string(msg), `{"time":"`); ok {
			if end := strings.IndexByte(rest, '"'); end > 0 {
				if t, err := time.Parse(time.RFC3339Nano, rest[:end]); err == nil {
					lat = now.Sub(t)
				}
			}
		}
		c.mu.Lock()
		c.got++
		c.latencies = append(c.latencies, lat)
		c.mu.Unlock()
	}
}

func (c *benchClient) counts() (got, dropped int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.got, c.dropped
}

func (c *benchClient) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got, c.dropped, c.latencies = 0, 0, c.latencies[:0]
}

func (c *benchClient) close() {
	_ = c.conn.Close()
	<-c.done
}

// settle waits until every client has received or been told it lost all n
// events (ticks come every second).
func settle(b *testing.B, clients []*benchClient, n int64) {
	b.Helper()
	deadline := time.Now().Add(time.Minute)
	for _, c := range clients {
		for {
			got, dropped := c.counts()
			if got+dropped >= n {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("client has %d + %d dropped of %d events", got, dropped, n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func benchConsole(b *testing.B, block bool, nclients int) (*fakeSource, []*benchClient) {
	b.Helper()
	src := newFakeSource()
	src.block = block
	src.setQueues(gateway.QueueStats{Route: "cpm", Ready: true}, gateway.QueueStats{Route: "smsc1", Ready: true})
	h := startOver(b, Config{Token: testToken}, src)
	var clients []*benchClient
	for range nclients {
		clients = append(clients, startBenchClient(b, h))
	}
	b.Cleanup(func() {
		for _, c := range clients {
			c.close()
		}
	})
	for h.srv.hub.nclients.Load() != int32(nclients) {
		time.Sleep(time.Millisecond)
	}
	return src, clients
}

// BenchmarkConsoleFanout is how many events a second the console takes from
// the gateway and fans out to 5 websocket clients on loopback. The source
// waits for the console here, so the figure is the console's own ceiling;
// rows a client cannot take in time are dropped (and counted), never
// waited for.
func BenchmarkConsoleFanout(b *testing.B) {
	src, clients := benchConsole(b, true, 5)
	e := sampleEvent
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		e.Seq = uint64(i)
		e.Time = time.Now()
		src.emit(e)
	}
	settle(b, clients, int64(b.N))
	elapsed := time.Since(start)
	b.StopTimer()
	var got, dropped int64
	for _, c := range clients {
		g, d := c.counts()
		got += g
		dropped += d
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(got)/elapsed.Seconds(), "frames/s")
	b.ReportMetric(float64(dropped)/float64(got+dropped)*100, "%dropped")
}

// eventsPerMessage: a message through iwf is accepted, submitted and
// delivered (or sent).
const eventsPerMessage = 3

// BenchmarkConsoleAt5000MessagesPerSecond feeds the console the events of
// 5,000 messages a second (15,000 events/s, paced in 10 ms batches, as the
// gateway does: never waiting, dropping for a full subscription) with 0 and
// 5 websocket clients, and reports the process's CPU (cores busy, clients'
// reading included), how long the gateway's emit took (what the pipeline
// pays), the age of an event when a client has it, and the rows dropped.
func BenchmarkConsoleAt5000MessagesPerSecond(b *testing.B) {
	for _, n := range []int{0, 5} {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			src, clients := benchConsole(b, false, n)
			const rate = 5000 * eventsPerMessage
			const batch = rate / 100 // every 10 ms
			e := sampleEvent
			var emitTime time.Duration
			cpu0 := cpuTime()
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; {
				due := start.Add(time.Duration(i) * time.Second / rate)
				if d := time.Until(due); d > 0 {
					time.Sleep(d)
				}
				for j := 0; j < batch && i < b.N; j++ {
					e.Seq = uint64(i)
					e.Time = time.Now()
					src.emit(e)
					emitTime += time.Since(e.Time)
					i++
				}
			}
			elapsed := time.Since(start)
			cpu := cpuTime() - cpu0
			b.StopTimer()
			src.mu.Lock()
			gatewayDropped := src.dropped // the hub's subscription was full
			src.mu.Unlock()
			settle(b, clients, int64(b.N)-gatewayDropped)
			b.ReportMetric(cpu.Seconds()/elapsed.Seconds(), "cpu-cores")
			b.ReportMetric(float64(emitTime.Nanoseconds())/float64(b.N), "emit-ns/event")
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
			if n == 0 {
				return
			}
			var lat []time.Duration
			var got, dropped int64
			for _, c := range clients {
				c.mu.Lock()
				lat = append(lat, c.latencies...)
				got += c.got
				dropped += c.dropped
				c.mu.Unlock()
			}
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			}
			b.ReportMetric(float64(dropped+gatewayDropped*int64(n))/float64(int64(b.N)*int64(n))*100, "%dropped")
		})
	}
}

// cpuTime is the user and system CPU time of this process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
