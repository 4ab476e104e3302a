package console

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/iwf-gateway/iwf/gateway"
)

// chromium finds Debian's chromium; without it the browser tests skip,
// unless IWF_REQUIRE_TOOLS=1 makes that a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("IWF_REQUIRE_TOOLS") == "1" {
		t.Fatal("chromium is not on PATH and IWF_REQUIRE_TOOLS=1 (apt-get install chromium)")
	}
	t.Skip("chromium is not on PATH (apt-get install chromium); the console's browser test needs it")
	return ""
}

// browser is one headless Chromium tab; every wait in it is bounded.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	problems []string // exceptions and console errors of the page
}

func openBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 1024),
	)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(alloc)
	b := &browser{t: t, ctx: tab}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancelTab() // ends the browser, and with it the console iterator
		wg.Wait()
	})
	messages := chromedp.Console(tab)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError {
				b.mu.Lock()
				b.problems = append(b.problems, m.String())
				b.mu.Unlock()
			}
		}
	}()
	return b
}

func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// until waits (at most 20 s) for a JavaScript condition to hold.
func (b *browser) until(what, cond string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		b.t.Fatalf("waiting for %s (%s): %v", what, cond, err)
	}
}

func (b *browser) pageProblems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.problems)
}

const (
	liveRows   = `document.querySelectorAll('[data-testid=live-row]')`
	deadRows   = `document.querySelectorAll('[data-testid=dead-row]')`
	searchRows = `document.querySelectorAll('[data-testid=search-row]')`
)

func TestConsoleInBrowser(t *testing.T) {
	chromium(t)
	src := newFakeSource()
	src.setQueues(gateway.QueueStats{Route: "cpm", Ready: true}, gateway.QueueStats{Route: "smsc1", Depth: 40})
	dead1 := src.put(deadLetter("dead-one"))
	dead2 := src.put(deadLetter("dead-two"))
	msg := src.put(gateway.EntryView{State: "done", Kind: "message", ID: "hist-1", Route: "smsc1", Outcome: "delivered",
		From: "sip:+15550001@ims.example", To: "tel:+15550002", Received: received, Parts: 2})
	rep := src.put(gateway.EntryView{State: "done", Kind: "report", ID: "hist-1", Route: "cpm", Outcome: "delivered",
		From: "tel:+15550002", To: "sip:+15550001@ims.example", Received: received.Add(time.Second)})
	h := startOver(t, Config{Token: testToken}, src)
	b := openBrowser(t) // after the console: closed before it

	// The page loads from the URL with the token, which then leaves the
	// address bar.
	b.do("open the console", chromedp.Navigate(h.base+"/?token="+testToken), chromedp.WaitVisible(chromedp.CSS(`[data-testid=live-section]`)))
	if title := eval[string](b, `document.title`); title != "iwf console" {
		t.Errorf("title %q", title)
	}
	if loc := eval[string](b, `location.href`); loc != h.base+"/" {
		t.Errorf("after login the page is at %s, want %s/", loc, h.base)
	}
	for _, s := range []string{"status", "throughput", "live", "dead", "search"} {
		if !eval[bool](b, `!!document.querySelector('[data-testid=`+s+`-section] h2')`) {
			t.Errorf("no %s section", s)
		}
	}
	b.until("the live feed", `document.querySelector('[data-testid=connection]').textContent === 'live'`)
	b.until("the routes", `document.querySelectorAll('[data-testid=route-row]').length === 2`)
	b.until("the throughput chart", `document.querySelectorAll('[data-testid=throughput-chart] polyline').length === 3`)

	// Live rows appear as traffic flows, as text even when an address is
	// markup.
	hostile := `<img src=x onerror="document.title='owned'">`
	src.emit(gateway.Event{Type: gateway.EventAccepted, Kind: "message", Network: "sms", Direction: gateway.ToLegacy, Route: "smsc1", ID: "hist-1", From: "sip:+15550001@ims.example", To: "tel:+15550002", Latency: 2 * time.Millisecond})
	src.emit(gateway.Event{Type: gateway.EventSubmitted, Kind: "message", Network: "sms", Direction: gateway.ToLegacy, Route: "smsc1", ID: "hist-1", From: "sip:+15550001@ims.example", To: "tel:+15550002", Segments: 2})
	src.emit(gateway.Event{Type: gateway.EventAccepted, Kind: "message", Network: "imps", Direction: gateway.ToCPM, Route: "cpm", ID: "live-2", From: hostile, To: "sip:+15550003@ims.example"})
	b.until("three live rows", liveRows+`.length === 3`)
	if got := eval[string](b, liveRows+`[0].textContent`); !strings.Contains(got, hostile) || !strings.Contains(got, "live-2") {
		t.Errorf("newest row %q, want the markup shown as text", got)
	}
	if n := eval[int](b, `document.querySelectorAll('#live-rows img').length`); n != 0 || eval[string](b, `document.title`) != "iwf console" {
		t.Error("an address was interpreted as markup")
	}

	// The filter box hides the other rows.
	b.do("filter", chromedp.SendKeys(chromedp.CSS(`[data-testid=live-filter]`), "live-2"))
	b.until("one visible row", `[...`+liveRows+`].filter(r => !r.hidden).length === 1`)
	b.do("clear the filter", chromedp.Evaluate[chromedp.Void](`(() => { const f = document.getElementById("filter"); f.value = ""; f.dispatchEvent(new Event("input")); })()`))
	b.until("all rows visible", `[...`+liveRows+`].filter(r => !r.hidden).length === 3`)

	// Pause holds new rows; resume shows them.
	b.do("pause", chromedp.Click(chromedp.CSS(`[data-testid=live-pause]`)))
	src.emit(gateway.Event{Type: gateway.EventDelivered, Kind: "message", Network: "sms", Direction: gateway.ToLegacy, Route: "smsc1", ID: "hist-1", Latency: 3 * time.Second})
	b.until("the held row", `document.querySelector('[data-testid=live-info]').textContent.includes('1 new rows held')`)
	if n := eval[int](b, liveRows+`.length`); n != 3 {
		t.Errorf("%d rows while paused, want 3", n)
	}
	b.do("resume", chromedp.Click(chromedp.CSS(`[data-testid=live-pause]`)))
	b.until("the row held while paused", liveRows+`.length === 4 && `+liveRows+`[0].textContent.includes('delivered')`)

	// A dead letter is retried from the page.
	b.until("the dead letters", deadRows+`.length === 2`)
	b.do("retry", chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-testid=dead-retry][data-seq="%d"]`, dead1))))
	b.until("the retried row to go", fmt.Sprintf(`!document.querySelector('[data-testid=dead-row][data-seq="%d"]')`, dead1))
	if retried, _ := src.actions(); !slices.Equal(retried, []uint64{dead1}) {
		t.Errorf("retried %v, want [%d]", retried, dead1)
	}
	if n := eval[int](b, deadRows+`.length`); n != 1 || eval[string](b, deadRows+`[0].dataset.seq`) != fmt.Sprint(dead2) {
		t.Errorf("dead letters left: %d", n)
	}

	// The search shows the message's history: the journal entries and the
	// steps seen live.
	b.do("search", chromedp.SendKeys(chromedp.CSS(`[data-testid=search-input]`), "hist-1"), chromedp.Click(chromedp.CSS(`[data-testid=search-button]`)))
	b.until("the history", searchRows+`.length === 2`)
	seqs := eval[[]string](b, `[...`+searchRows+`].map(r => r.dataset.seq)`)
	if !slices.Equal(seqs, []string{fmt.Sprint(msg), fmt.Sprint(rep)}) {
		t.Errorf("history rows %v, want [%d %d]", seqs, msg, rep)
	}
	kinds := eval[[]string](b, `[...`+searchRows+`].map(r => r.cells[3].textContent)`)
	if !slices.Equal(kinds, []string{"message", "report"}) {
		t.Errorf("history kinds %v", kinds)
	}
	steps := eval[[]string](b, `[...document.querySelectorAll('[data-testid=search-step]')].map(r => r.cells[1].textContent)`)
	if !slices.Equal(steps, []string{"accepted", "submitted", "delivered"}) {
		t.Errorf("live steps of hist-1: %v", steps)
	}

	if p := b.pageProblems(); len(p) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(p, "\n"))
	}
}

func TestBrowserWithoutTokenIsRefused(t *testing.T) {
	chromium(t)
	h := start(t, Config{Token: testToken})
	b := openBrowser(t)
	b.do("open without the token", chromedp.Navigate(h.base+"/"))
	if body := eval[string](b, `document.body.textContent`); !strings.Contains(body, "authentication required") {
		t.Errorf("page without the token shows %q", body)
	}
	if n := h.srv.hub.nclients.Load(); n != 0 {
		t.Errorf("%d live clients without a token", n)
	}
}
