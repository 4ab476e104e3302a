package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip"
)

// The idle chat phase of `iwf bench msrp`: M chat sessions held open and
// idle, iwf's memory per session, then all ended with BYE.

// memSample is iwf's memory at one moment, in bytes.
type memSample struct{ RSS, Anon int64 }

func sampleMem(pid int) memSample {
	rss, _, anon, _ := procMem(pid)
	return memSample{RSS: rss, Anon: anon}
}

// idleSessionResult is what the idle chat phase measured.
type idleSessionResult struct {
	Sessions, Clients int

	Opened   int
	Refused  answerTally // what iwf answered to the sessions that did not open
	OpenedIn time.Duration
	Before   memSample // iwf ready, no session
	After    memSample // every session open and idle
	Ended    memSample // every session ended, after a pause

	// LiveOpen and LiveAfter are iwf's live chat sessions (its
	// /api/stats) with every session open and after they were closed;
	// -1 when iwf does not report them.
	LiveOpen, LiveAfter int

	EndedIdle int // sessions that ended while they were to be held open
	Closed    int // sessions whose BYE was answered 2xx
	EndedOver int // sessions over on the CPM side after Close
	iwfUsage
}

// PerSession is iwf's anonymous and resident memory per open session.
func (r *idleSessionResult) PerSession() (anon, rss float64) {
	if r.Opened == 0 {
		return 0, 0
	}
	n := float64(r.Opened)
	return float64(r.After.Anon-r.Before.Anon) / n, float64(r.After.RSS-r.Before.RSS) / n
}

// holdIdle opens the chats, samples iwf's memory before and after, and
// closes them.
func (b *msrpBench) holdIdle(ctx context.Context, child *iwfChild, clients []*sip.Endpoint, res *idleSessionResult) error {
	pid := child.cmd.Process.Pid
	mark := markUsage(pid)
	if err := sleepContext(ctx, idleSettle); err != nil {
		return err
	}
	res.Before = sampleMem(pid)
	began := time.Now()
	sessions := b.openChats(ctx, clients, &res.Refused)
	res.OpenedIn = time.Since(began)
	for _, s := range sessions {
		if s != nil {
			res.Opened++
		}
	}
	if err := sleepContext(ctx, idleSettle); err != nil {
		closeChats(ctx, sessions, b.o.SessionTimeout)
		return err
	}
	res.After = sampleMem(pid)
	res.LiveOpen = liveChats(ctx, child.console)
	var err error
	if b.o.HeapProfile != "" {
		err = child.takeHeapProfile(b.o.HeapProfile)
	}
	res.EndedIdle, res.Closed, res.EndedOver = closeChats(ctx, sessions, b.o.SessionTimeout)
	res.LiveAfter = awaitNoChats(ctx, child.console, b.o.DrainTimeout)
	// Ending every session at once makes a burst of garbage (BYE
	// transactions, the sessions' state): the peak shows it, and this
	// sample, a pause later, whether the memory came back.
	if serr := sleepContext(ctx, 2*idleSettle); serr != nil {
		err = errors.Join(err, serr)
	}
	res.Ended = sampleMem(pid)
	res.measure(pid, mark)
	return err
}

// openChats opens IdleSessions chats, Concurrency at a time: chat n from
// CPM user n to SMS user n, over client n mod Clients. A chat that did not
// open is nil.
func (b *msrpBench) openChats(ctx context.Context, clients []*sip.Endpoint, refused *answerTally) []*sip.OutSession {
	sessions := make([]*sip.OutSession, b.o.IdleSessions)
	forEachNumbered(ctx, len(sessions), b.o.Concurrency, func(_, n int) {
		octx, cancel := context.WithTimeout(ctx, b.o.SessionTimeout)
		s, err := clients[n%len(clients)].OpenSession(octx, &sip.OutgoingSession{
			RequestURI: fmt.Sprintf(idleChatTo, n), From: fmt.Sprintf(idleChatFrom, n), Kind: sip.KindChat,
		})
		cancel()
		if err != nil {
			refused.note(err)
			return
		}
		sessions[n] = s
	})
	return sessions
}

// closeChats counts the sessions that ended before they were closed,
// then closes every one with BYE and counts those whose BYE was answered
// 2xx and those that are over.
func closeChats(ctx context.Context, sessions []*sip.OutSession, timeout time.Duration) (endedIdle, closed, ended int) {
	var nClosed, nEnded atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, s := range sessions {
		if s == nil {
			continue
		}
		if s.Err() != nil {
			endedIdle++
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
			defer cancel()
			if s.Close(cctx) == nil {
				nClosed.Add(1)
			}
			select {
			case <-s.Done():
				nEnded.Add(1)
			default:
			}
		})
	}
	wg.Wait()
	return endedIdle, int(nClosed.Load()), int(nEnded.Load())
}

// liveChats is iwf's count of live chat sessions with legacy users, from
// its console's /api/stats; -1 when it does not report one.
func liveChats(ctx context.Context, console string) int {
	c := &consoleClient{base: "http://" + console, token: benchConsoleToken, http: &http.Client{Timeout: 5 * time.Second}}
	var st struct{ ChatSessions *int }
	if c.call(ctx, http.MethodGet, "/api/stats", nil, &st) != nil || st.ChatSessions == nil {
		return -1
	}
	return *st.ChatSessions
}

// awaitNoChats waits until iwf reports no live chat session, at most for
// limit, and returns the last count it reported.
func awaitNoChats(ctx context.Context, console string, limit time.Duration) int {
	deadline := time.Now().Add(limit)
	for {
		n := liveChats(ctx, console)
		if n <= 0 || time.Now().After(deadline) || sleepContext(ctx, 20*time.Millisecond) != nil {
			return n
		}
	}
}

func (r *idleSessionResult) print(b *strings.Builder) {
	fmt.Fprintf(b, "idle         %d chat sessions from as many CPM users to SMS users (%d client connections): %d open, %d refused%s, in %.2f s\n",
		r.Sessions, r.Clients, r.Opened, r.Refused.total(), r.Refused.String(), r.OpenedIn.Seconds())
	anon, rss := r.PerSession()
	fmt.Fprintf(b, "memory       iwf anon %.1f -> %.1f MB, RSS %.1f -> %.1f MB: %.1f KB anon, %.1f KB RSS per idle session (target under %d KB: %s)\n",
		float64(r.Before.Anon)/(1<<20), float64(r.After.Anon)/(1<<20), float64(r.Before.RSS)/(1<<20), float64(r.After.RSS)/(1<<20),
		anon/1024, rss/1024, msrpTargetIdleSession>>10, metOrNot(r.Opened > 0 && max(anon, rss) < msrpTargetIdleSession))
	fmt.Fprintf(b, "ended        %d ended while idle; %d closed with BYE answered 2xx, %d over; iwf's live chat sessions %s -> %s; then iwf anon %.1f MB, RSS %.1f MB\n",
		r.EndedIdle, r.Closed, r.EndedOver, liveText(r.LiveOpen), liveText(r.LiveAfter),
		float64(r.Ended.Anon)/(1<<20), float64(r.Ended.RSS)/(1<<20))
	fmt.Fprintf(b, "iwf          peak RSS %d MB   CPU %.1f s over %.1f s   whole run user %.1f s, sys %.1f s\n",
		r.peakRSS()>>20, r.LoadCPU.Seconds(), r.Wall.Seconds(), r.User.Seconds(), r.Sys.Seconds())
}

func liveText(n int) string {
	if n < 0 {
		return "(not reported)"
	}
	return strconv.Itoa(n)
}
