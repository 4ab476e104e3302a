package console

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/gateway"
)

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }

var received = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func deadLetter(id string) gateway.EntryView {
	return gateway.EntryView{State: "dead", Kind: "message", Route: "smsc1", Received: received, Outcome: "failed",
		Reason: "smpp: ESME_RINVDSTADR", Attempts: 3, ID: id, From: "sip:+15550001@ims.example", To: "tel:+15550002"}
}

func TestEntriesAndDeadLetters(t *testing.T) {
	h := start(t, Config{Token: testToken})
	open := h.src.put(gateway.EntryView{State: "open", Kind: "message", ID: "o1", Outcome: "pending"})
	done := h.src.put(gateway.EntryView{State: "done", Kind: "report", ID: "o1", Outcome: "delivered"})
	var dead []uint64
	for i := range 5 {
		dead = append(dead, h.src.put(deadLetter("d"+strconv.Itoa(i))))
	}
	for _, tc := range []struct {
		path string
		want []uint64
	}{
		{"/api/entries?state=open", []uint64{open}},
		{"/api/entries", []uint64{open}},
		{"/api/entries?state=done", []uint64{done}},
		{"/api/entries?state=dead&limit=2", dead[:2]},
		{"/api/entries?state=dead&after=" + itoa(dead[1]) + "&limit=2", dead[2:4]},
		{"/api/dead", dead},
		{"/api/dead?after=" + itoa(dead[3]), dead[4:]},
		{"/api/dead?after=" + itoa(dead[4]), nil},
	} {
		var got []gateway.EntryView
		h.getJSON(tc.path, &got)
		if got == nil {
			t.Errorf("%s: null, want an array", tc.path)
		}
		var seqs []uint64
		for _, v := range got {
			seqs = append(seqs, v.Seq)
		}
		if !slices.Equal(seqs, tc.want) {
			t.Errorf("%s = %v, want %v", tc.path, seqs, tc.want)
		}
	}
	var got []gateway.EntryView
	h.getJSON("/api/dead?limit=1", &got)
	if want := deadLetter("d0"); got[0].Reason != want.Reason || got[0].To != want.To || !got[0].Received.Equal(received) {
		t.Errorf("dead letter = %+v", got[0])
	}
}

func TestListingLimits(t *testing.T) {
	h := start(t, Config{Token: testToken})
	h.src.mu.Lock()
	h.src.limits = nil
	h.src.mu.Unlock()
	for _, p := range []string{"/api/dead", "/api/dead?limit=7", "/api/dead?limit=5000", "/api/search?q=x&limit=1000", "/api/search?q=x"} {
		var v []gateway.EntryView
		h.getJSON(p, &v)
	}
	h.src.mu.Lock()
	limits := slices.Clone(h.src.limits)
	h.src.mu.Unlock()
	if want := []int{DefaultLimit, 7, MaxLimit, MaxLimit, DefaultLimit}; !slices.Equal(limits, want) {
		t.Errorf("limits passed = %v, want %v", limits, want)
	}
	for _, p := range []string{
		"/api/entries?state=closed", "/api/entries?limit=0", "/api/entries?limit=-1", "/api/entries?limit=ten",
		"/api/dead?after=-1", "/api/dead?after=x", "/api/search", "/api/search?q=",
		"/api/search?q=" + strings.Repeat("a", maxQueryLen+1),
	} {
		code, body := h.do("GET", p, "", nil)
		if code != http.StatusBadRequest {
			t.Errorf("GET %s = %d, want 400", p, code)
			continue
		}
		errorOf(t, body)
	}
}

func TestRetryAndDiscard(t *testing.T) {
	h := start(t, Config{Token: testToken})
	d1 := h.src.put(deadLetter("d1"))
	d2 := h.src.put(deadLetter("d2"))
	live := h.src.put(gateway.EntryView{State: "open", Kind: "message", ID: "o1"})
	for _, tc := range []struct {
		path string
		code int
	}{
		{"/api/dead/" + itoa(d1) + "/retry", http.StatusNoContent},
		{"/api/dead/" + itoa(d1) + "/retry", http.StatusConflict}, // open now
		{"/api/dead/" + itoa(d2) + "/discard", http.StatusNoContent},
		{"/api/dead/" + itoa(d2) + "/discard", http.StatusConflict},
		{"/api/dead/" + itoa(live) + "/retry", http.StatusConflict},
		{"/api/dead/999999/retry", http.StatusNotFound},
		{"/api/dead/999999/discard", http.StatusNotFound},
		{"/api/dead/0/retry", http.StatusBadRequest},
		{"/api/dead/abc/retry", http.StatusBadRequest},
		{"/api/dead/18446744073709551616/retry", http.StatusBadRequest},
	} {
		code, body := h.do("POST", tc.path, "", nil)
		if code != tc.code {
			t.Errorf("POST %s = %d %s, want %d", tc.path, code, body, tc.code)
			continue
		}
		if code == http.StatusNoContent {
			if len(body) != 0 {
				t.Errorf("POST %s: 204 with a body %q", tc.path, body)
			}
			continue
		}
		errorOf(t, body)
	}
	if code, _ := h.do("GET", "/api/dead/"+itoa(d1)+"/retry", "", nil); code != http.StatusMethodNotAllowed {
		t.Errorf("GET on an action = %d, want 405", code)
	}
	retried, discarded := h.src.actions()
	if !slices.Equal(retried, []uint64{d1}) || !slices.Equal(discarded, []uint64{d2}) {
		t.Errorf("retried %v discarded %v", retried, discarded)
	}
}

func TestSearchShowsHistory(t *testing.T) {
	h := start(t, Config{Token: testToken})
	msg := h.src.put(gateway.EntryView{State: "done", Kind: "message", ID: "abc-123", From: "sip:+15550001@ims.example", To: "tel:+15550002", Outcome: "delivered", Parts: 2})
	rep := h.src.put(gateway.EntryView{State: "done", Kind: "report", ID: "abc-123", From: "tel:+15550002", To: "sip:+15550001@ims.example", Outcome: "delivered"})
	other := h.src.put(gateway.EntryView{State: "done", Kind: "message", ID: "zzz", From: "sip:+15559999@ims.example", To: "tel:+15558888"})
	for _, tc := range []struct {
		q    string
		want []uint64
	}{
		{"abc-123", []uint64{msg, rep}},
		{"+15550002", []uint64{msg, rep}},
		{"sip:+15559*", []uint64{other}},
		{"nothing-like-it", nil},
	} {
		var got []gateway.EntryView
		h.getJSON("/api/search?q="+urlQuery(tc.q), &got)
		var seqs []uint64
		for _, v := range got {
			seqs = append(seqs, v.Seq)
		}
		if !slices.Equal(seqs, tc.want) {
			t.Errorf("search %q = %v, want %v", tc.q, seqs, tc.want)
		}
	}
}

func urlQuery(s string) string {
	return strings.NewReplacer("+", "%2B", "*", "%2A", ":", "%3A").Replace(s)
}

func TestReplay(t *testing.T) {
	h := start(t, Config{Token: testToken})
	h.src.setQueues(gateway.QueueStats{Route: "smsc1"}, gateway.QueueStats{Route: "smsc2"})
	m1 := h.src.put(deadLetter("m1"))
	m2 := h.src.put(deadLetter("m2"))
	rep := h.src.put(gateway.EntryView{State: "done", Kind: "report", ID: "m1"})

	code, body := h.do("POST", "/api/replay", `{"seqs":[`+itoa(m1)+`,`+itoa(m2)+`],"route":"smsc2"}`, nil)
	if code != http.StatusOK {
		t.Fatalf("replay = %d %s", code, body)
	}
	var resp ReplayResponse
	if err := json.Unmarshal(body, &resp); err != nil || len(resp.Seqs) != 2 || resp.Seqs[0] == m1 {
		t.Errorf("replay answer %s (%v)", body, err)
	}

	many := make([]string, MaxReplay+1)
	for i := range many {
		many[i] = itoa(m1)
	}
	for _, tc := range []struct {
		body string
		code int
	}{
		{`{"seqs":[` + itoa(rep) + `]}`, http.StatusBadRequest},               // a report
		{`{"seqs":[` + itoa(m1) + `],"route":"nope"}`, http.StatusBadRequest}, // no such route
		{`{"seqs":[424242]}`, http.StatusNotFound},
		{`{"seqs":[]}`, http.StatusBadRequest},
		{`{"seqs":[0]}`, http.StatusBadRequest},
		{`{"seqs":[-1]}`, http.StatusBadRequest},
		{`{"seqs":[1],"rout":""}`, http.StatusBadRequest},
		{`{"seqs":[1]}{"seqs":[2]}`, http.StatusBadRequest},
		{`not json`, http.StatusBadRequest},
		{``, http.StatusBadRequest},
		{`{"seqs":[` + strings.Join(many, ",") + `]}`, http.StatusBadRequest},
		{`{"seqs":[1],"route":"` + strings.Repeat("x", maxReplayBody) + `"}`, http.StatusRequestEntityTooLarge},
	} {
		code, body := h.do("POST", "/api/replay", tc.body, nil)
		if code != tc.code {
			t.Errorf("replay %.60s = %d %s, want %d", tc.body, code, body, tc.code)
			continue
		}
		errorOf(t, body)
	}
	// Exactly MaxReplay is allowed.
	if code, body := h.do("POST", "/api/replay", `{"seqs":[`+strings.Join(many[1:], ",")+`]}`, nil); code != http.StatusOK {
		t.Errorf("replay of %d = %d %s", MaxReplay, code, body)
	}
}
