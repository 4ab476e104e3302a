package sip

import (
	"net"
	"net/netip"
	"strconv"
	"sync"

	"github.com/emiago/sipgo/sip"
)

// sessionTable holds the sessions of an Endpoint by dialog and counts
// them against Config.MSRPMaxSessions. A session takes a slot before
// its dialog exists (while the INVITE is being answered or sent) and
// gives it back when it finishes.
type sessionTable struct {
	mu       sync.Mutex
	max      int
	slots    map[*session]struct{} // sessions holding a slot
	byDialog map[string]*session
}

func newSessionTable(max int) *sessionTable {
	return &sessionTable{max: max, slots: make(map[*session]struct{}), byDialog: make(map[string]*session)}
}

// reserve takes a slot for s; false when the table is full.
func (t *sessionTable) reserve(s *session) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.slots) >= t.max {
		return false
	}
	t.slots[s] = struct{}{}
	return true
}

// add makes s findable by its dialog; false when s has already ended
// (and given back its slot).
func (t *sessionTable) add(s *session) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.slots[s]; !ok {
		return false
	}
	t.byDialog[s.d.key] = s
	return true
}

// remove forgets s and gives back its slot.
func (t *sessionTable) remove(s *session) {
	t.mu.Lock()
	delete(t.slots, s)
	if s.d != nil && t.byDialog[s.d.key] == s {
		delete(t.byDialog, s.d.key)
	}
	t.mu.Unlock()
}

// lookup finds the session of a request the peer sent in a dialog.
func (t *sessionTable) lookup(req *sip.Request) *session {
	key, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byDialog[key]
}

// all returns every session holding a slot.
func (t *sessionTable) all() []*session {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*session, 0, len(t.slots))
	for s := range t.slots {
		out = append(out, s)
	}
	return out
}

// count returns the sessions holding a slot.
func (t *sessionTable) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.slots)
}

// contactHostPort is the host and port of iwf's Contact for a listener
// bound to addr: Config.Domain stands for an unspecified address.
func (e *Endpoint) contactHostPort(addr string) (string, int) {
	host, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	ip, err := netip.ParseAddr(host)
	switch {
	case err != nil:
		return host, port
	case ip.IsUnspecified():
		return e.cfg.Domain, port
	case ip.Is6() && !ip.Is4In6():
		return "[" + ip.String() + "]", port
	}
	return ip.Unmap().String(), port
}
