package gateway

import (
	"time"

	"github.com/iwf-gateway/iwf/journal"
)

// EntryView is a journal entry of the gateway as an operator reads it.
type EntryView struct {
	Seq      uint64
	State    string // open, done, dead
	Kind     string // message, report, fragment
	Route    string
	Received time.Time
	Outcome  string // pending, delivered, submitted, failed, expired
	Reason   string
	Attempts uint32
	ID       string // imdn.Message-ID (for a report: of the message reported on)
	From, To string
	Parts    int // SMS segments submitted
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
	switch it.kind {
	case kindMessage:
		v.ID, v.From, v.To = it.msg.ID, string(it.msg.From), string(it.msg.To)
	case kindReport:
		v.ID, v.From, v.To = it.report.MessageID, string(it.report.From), string(it.report.To)
	case kindFragment:
		v.From, v.To = it.fragment.Source.Addr, it.fragment.Dest.Addr
	}
	return v, nil
}
