package gateway

import (
	"sort"
	"strings"
	"time"

	"github.com/iwf-gateway/iwf/addressmap"
	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/journal"
)

// EntryView is a journal entry of the gateway as an operator reads it.
type EntryView struct {
	Seq      uint64    `json:"seq"`
	State    string    `json:"state"` // open, done, dead
	Kind     string    `json:"kind"`  // message, report, fragment
	Route    string    `json:"route"`
	Received time.Time `json:"received"`
	Outcome  string    `json:"outcome"` // pending, delivered, submitted, failed, expired
	Reason   string    `json:"reason,omitempty"`
	Attempts uint32    `json:"attempts"`
	ID       string    `json:"id,omitempty"` // imdn.Message-ID (for a report: of the message reported on)
	From     string    `json:"from,omitempty"`
	To       string    `json:"to,omitempty"`
	Parts    int       `json:"parts"`               // SMS segments (or one MM7/IMPS id) submitted
	Network  string    `json:"network,omitempty"`   // where a message toward CPM users came from (sms, mms, imps); empty otherwise
	ReplayOf string    `json:"replay_of,omitempty"` // the imdn.Message-ID this message replays
	Bytes    int       `json:"bytes"`               // body bytes of a message
}

// Matches reports whether the entry has message id q, or a sender or
// recipient matching q: '*' matches any run of characters; without one, q
// may appear anywhere in the address.
func (v EntryView) Matches(q string) bool {
	if v.ID == q || v.ReplayOf == q {
		return true
	}
	if !strings.Contains(q, "*") {
		return strings.Contains(v.From, q) || strings.Contains(v.To, q)
	}
	return addressmap.Glob(q, v.From) || addressmap.Glob(q, v.To)
}

func sortViews(v []EntryView) {
	sort.Slice(v, func(i, j int) bool { return v[i].Seq < v[j].Seq })
}

// DescribeEntry decodes a journal entry written by the gateway.
func DescribeEntry(e journal.Entry) (EntryView, error) {
	it, err := unmarshalItem(e.Seq, e.Data)
	if err != nil {
		return EntryView{}, err
	}
	v := EntryView{
		Seq: e.Seq, State: e.State.String(), Kind: it.kind.String(), Route: it.route, Received: it.received,
		Outcome: it.outcome.String(), Reason: it.reason, Attempts: it.attempts, Parts: len(it.parts),
	}
	v.ReplayOf, v.Network = it.replayOf, it.origin
	switch it.kind {
	case kindMessage:
		v.ID, v.From, v.To = it.msg.ID, string(it.msg.From), string(it.msg.To)
		v.Bytes = it.msg.Size()
	case kindReport:
		v.ID, v.From, v.To = it.report.MessageID, string(it.report.From), string(it.report.To)
	case kindFragment:
		v.From, v.To = it.fragment.Source.Addr, it.fragment.Dest.Addr
	}
	return v, nil
}

// EntryMessage returns the message a journal entry holds (for an operator
// who asks to see it), or false when the entry is not a message.
func EntryMessage(e journal.Entry) (cpm.Message, bool, error) {
	it, err := unmarshalItem(e.Seq, e.Data)
	if err != nil {
		return cpm.Message{}, false, err
	}
	return it.msg, it.kind == kindMessage, nil
}
