package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp/pdu"
	"github.com/iwf-gateway/iwf/sim/smsc"
)

// benchSMSResult is everything one run of `iwf bench sms` measured.
type benchSMSResult struct {
	Options benchSMSOptions

	Load  loadStats   // what the load generator saw
	Check submitCheck // accepted numbers against submits

	Submits, Throttled, Rebinds int
	SubmitSpan                  time.Duration // first to latest submit
	LongestSubmitGap            time.Duration
	LongestUnbound              time.Duration // longest time with fewer binds than configured

	DrainFrom       time.Duration // since the run began, when binds were allowed (--backlog)
	DrainSeenBefore int64
	DrainEnd        time.Duration // since the run began, the latest submit

	iwfUsage // Wall: from the first MESSAGE until the SMSC saw the last

	Backlog []backlogSample // at each tenth of the messages, with --backlog
}

// iwfUsage is what iwf, the child process, used during a benchmark.
type iwfUsage struct {
	Wall    time.Duration // from the first MESSAGE until the peer saw the last
	LoadCPU time.Duration // iwf's CPU (user+sys) over Wall, from /proc
	PeakRSS int64         // iwf's VmHWM at the end of the load, bytes
	Anon    int64         // iwf's RssAnon then (heap and stacks, not the journal's map)
	Written int64         // bytes iwf caused to be written to storage over Wall
	User    time.Duration // iwf's whole-run rusage
	Sys     time.Duration
	MaxRSS  int64 // rusage ru_maxrss, bytes
}

// peakRSS is iwf's peak resident memory: VmHWM, read from /proc before it
// exits. ru_maxrss is only the fallback: os/exec starts iwf with vfork,
// and at exec Linux counts the high-water mark of the memory it shared
// until then, this process's, in the child's ru_maxrss. After the file
// phase of `bench msrp` that put this process's 70 MB in the idle iwf's
// peak.
func (u *iwfUsage) peakRSS() int64 {
	if u.PeakRSS > 0 {
		return u.PeakRSS
	}
	return u.MaxRSS
}

func (u *iwfUsage) setRusage(ru *syscall.Rusage) {
	if ru == nil {
		return
	}
	u.User = time.Duration(ru.Utime.Nano())
	u.Sys = time.Duration(ru.Stime.Nano())
	u.MaxRSS = ru.Maxrss << 10
}

func (r *benchSMSResult) collectSMSC(sim *smsc.SMSC, rec *submitRecorder, binds int) {
	r.Submits = sim.SubmitCount()
	r.Throttled = sim.ThrottledCount()
	r.Rebinds = max(0, sim.Received(pdu.BindTransceiver)-binds)
	first, last := rec.first.Load(), rec.last.Load()
	r.SubmitSpan = time.Duration(last - first)
	r.DrainEnd = time.Duration(last)
	r.LongestSubmitGap = time.Duration(rec.maxGap.Load())
}

// backlogSample is iwf's memory and CPU when a tenth more of the messages
// had been accepted.
type backlogSample struct {
	Accepted  int64
	RSS, Peak int64
	Anon      int64
	CPU       time.Duration // total so far
	PerMsg    time.Duration // CPU per message accepted since the previous sample
}

func takeBacklogSample(pid int, accepted int64, prev backlogSample) backlogSample {
	u, s, _ := procCPU(pid)
	rss, peak, anon, _ := procMem(pid)
	b := backlogSample{Accepted: accepted, RSS: rss, Peak: peak, Anon: anon, CPU: u + s}
	if d := accepted - prev.Accepted; d > 0 {
		b.PerMsg = (b.CPU - prev.CPU) / time.Duration(d)
	}
	return b
}

func (b backlogSample) String() string {
	return fmt.Sprintf("%9d accepted   RSS %4d MB (anon %4d MB, peak %4d MB)   CPU %.3f ms/msg over the last tenth",
		b.Accepted, b.RSS>>20, b.Anon>>20, b.Peak>>20, ms(b.PerMsg))
}

// percentiles of latencies in µs: p50, p99 and max.
func percentiles(us []uint32) (p50, p99, top time.Duration) {
	if len(us) == 0 {
		return 0, 0, 0
	}
	slices.Sort(us)
	at := func(q float64) time.Duration {
		i := min(len(us)-1, int(q*float64(len(us))))
		return time.Duration(us[i]) * time.Microsecond
	}
	return at(0.50), at(0.99), time.Duration(us[len(us)-1]) * time.Microsecond
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// print writes the report table.
func (r *benchSMSResult) print(w io.Writer) error {
	var b strings.Builder
	l, c := r.Load, r.Check
	l.print(&b)
	c.print(&b, "smsc", "submits", perSecond(r.Submits, r.SubmitSpan))
	if r.Options.DropEvery > 0 || r.Rebinds > 0 {
		fmt.Fprintf(&b, "links        %d rebinds, longest %.0f ms with a bind down, longest gap between submits %.0f ms, repeats bound %d (rebinds x window)\n",
			r.Rebinds, ms(r.LongestUnbound), ms(r.LongestSubmitGap), r.Rebinds*r.Options.Window)
	}
	if r.Options.Throttle > 0 {
		fmt.Fprintf(&b, "throttle     %d submits answered ESME_RTHROTTLED (%.1f %%); compare submits/s with an unthrottled run\n",
			r.Throttled, 100*float64(r.Throttled)/float64(max(1, r.Throttled+r.Submits)))
	}
	if r.Options.Backlog && r.Options.Drain {
		drained := r.Submits - int(r.DrainSeenBefore)
		fmt.Fprintf(&b, "drain        %s submits/s once the SMSC accepted binds (%d in %.1f s)\n",
			thousands(perSecond(drained, r.DrainEnd-r.DrainFrom)), drained, (r.DrainEnd - r.DrainFrom).Seconds())
	}
	r.iwfUsage.print(&b, l.Accepted)
	for _, s := range r.Backlog {
		fmt.Fprintf(&b, "backlog      %s\n", s)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// print writes the lines on what the load generator saw.
func (l loadStats) print(b *strings.Builder) {
	refused := 0
	for _, n := range l.Refused {
		refused += n
	}
	fmt.Fprintf(b, "messages     %d sent, %d accepted (202), %d refused%s, %d unanswered\n",
		l.Sent, l.Accepted, refused, refusedCodes(l.Refused), l.Unanswered)
	fmt.Fprintf(b, "accept       %s msg/s   p50 %.1f ms   p99 %.1f ms   max %.0f ms   (%d retransmits)\n",
		thousands(perSecond(l.Accepted, l.Duration)), ms(l.P50), ms(l.P99), ms(l.Max), l.Retransmits)
}

// print writes the line on what reached the peer (the SMSC, the relay,
// the IMPS server), whose arrivals of unit per second were rate.
func (c submitCheck) print(b *strings.Builder, peer, unit string, rate float64) {
	fmt.Fprintf(b, "%-12s %s %s/s  %d unique, %d repeats, %d lost%s\n",
		peer, thousands(rate), unit, c.Unique, c.Repeats, c.Lost, unexpected(c.Unexpected))
}

// print writes the lines on iwf's CPU, memory and storage writes.
func (u *iwfUsage) print(b *strings.Builder, accepted int) {
	perMsg := time.Duration(0)
	if accepted > 0 {
		perMsg = u.LoadCPU / time.Duration(accepted)
	}
	fmt.Fprintf(b, "iwf          peak RSS %d MB (anon %d MB at the end)   CPU %.3f ms/msg (%.1f s over %.1f s; whole run user %.1f s, sys %.1f s)\n",
		u.peakRSS()>>20, u.Anon>>20, ms(perMsg), u.LoadCPU.Seconds(), u.Wall.Seconds(), u.User.Seconds(), u.Sys.Seconds())
	fmt.Fprintf(b, "journal      %.1f KB written to storage per message accepted (%d MB)\n",
		float64(u.Written)/1024/float64(max(1, accepted)), u.Written>>20)
}

func refusedCodes(m map[int]int) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for _, code := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%d x%d", code, m[code]))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func unexpected(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d submitted but never accepted", n)
}

// thousands renders v rounded, with comma separators.
func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// peerBenchResult is everything one run of `iwf bench mms` or `iwf bench
// imps` measured.
type peerBenchResult struct {
	Peer  string      // the peer's label in the report: "relay", "imps"
	Where string      // the peer in prose: "the relay", "the IMPS server"
	Unit  string      // what arrives there: "submits", "messages"
	Load  loadStats   // what the load generator saw
	Check submitCheck // accepted numbers against arrivals at the peer

	Arrivals     int           // bench messages the peer received, repeats included
	ArrivalSpan  time.Duration // first to latest arrival
	E2EP50       time.Duration // MESSAGE first sent until the peer had it
	E2EP99       time.Duration
	E2EMax       time.Duration
	AllArrived   bool          // every accepted message arrived before the drain timeout
	PeerFindings []string      // the peer's own lines (damaged content, connections, logins)
	PeakAnon     int64         // iwf's largest RssAnon sampled during the load, bytes
	BenchCPU     time.Duration // the bench process's own CPU over Wall (load generator and peer)
	iwfUsage                   // Wall: from the first MESSAGE until the peer saw the last
}

// print writes the report table.
func (r *peerBenchResult) print(w io.Writer) error {
	var b strings.Builder
	r.Load.print(&b)
	if r.Load.LostConns > 0 {
		fmt.Fprintf(&b, "sip          %d TCP connections closed by iwf during the load\n", r.Load.LostConns)
	}
	r.Check.print(&b, r.Peer, r.Unit, perSecond(r.Arrivals, r.ArrivalSpan))
	fmt.Fprintf(&b, "end-to-end   p50 %.1f ms   p99 %.1f ms   max %.0f ms   (MESSAGE sent until %s had it)\n",
		ms(r.E2EP50), ms(r.E2EP99), ms(r.E2EMax), r.Where)
	for _, f := range r.PeerFindings {
		fmt.Fprintf(&b, "%-12s %s\n", r.Peer, f)
	}
	r.iwfUsage.print(&b, r.Load.Accepted)
	fmt.Fprintf(&b, "memory       iwf's anonymous memory peaked at %d MB; the rest of its RSS is file pages (the journal's memory map)\n",
		r.PeakAnon>>20)
	fmt.Fprintf(&b, "bench        this process (load and %s) used %.1f s CPU over the same %.1f s\n",
		r.Where, r.BenchCPU.Seconds(), r.Wall.Seconds())
	_, err := io.WriteString(w, b.String())
	return err
}
