package gateway

import (
	"sort"
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/adapters/smpp"
)

// LinkStatus is one connection of a route as the operator watches it: an
// SMPP bind, the IMPS session, a SIP listener.
type LinkStatus struct {
	Route string    `json:"route"`
	Name  string    `json:"name"`  // "smsc1/0/tx", "udp 127.0.0.1:5070", "session"
	Kind  string    `json:"kind"`  // "smpp", "sip", "imps"
	State string    `json:"state"` // "bound", "connecting", "down", "listening", "up"
	Since time.Time `json:"since,omitzero"`
	// Count and Errors are running totals (submits answered OK, SIP
	// requests taken) from which rates are computed.
	Count  uint64 `json:"count"`
	Errors uint64 `json:"errors"`
}

// links lists the connections of every route whose link can say.
func (g *Gateway) links() []LinkStatus {
	var out []LinkStatus
	for name, r := range g.sms {
		if st, ok := r.Link.(interface{ Status() []smpp.BindStatus }); ok {
			for _, b := range st.Status() {
				out = append(out, LinkStatus{Route: name, Name: b.Name, Kind: "smpp", State: b.State, Since: b.Since, Count: b.Submits, Errors: b.Errors})
			}
		}
	}
	if st, ok := g.deps.CPM.(interface{ Status() []sip.ListenerStatus }); ok {
		for _, l := range st.Status() {
			out = append(out, LinkStatus{Route: cpmRoute, Name: l.Transport + " " + l.Address, Kind: "sip", State: "listening", Count: l.Requests, Errors: l.Errors})
		}
	}
	if r := g.imps; r != nil {
		state := "down"
		if r.Link.Ready() {
			state = "up"
		}
		out = append(out, LinkStatus{Route: r.Name, Name: "session", Kind: "imps", State: state})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Route != out[j].Route {
			return out[i].Route < out[j].Route
		}
		return out[i].Name < out[j].Name
	})
	return out
}
