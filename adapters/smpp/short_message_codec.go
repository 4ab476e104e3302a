package smpp

import (
	"fmt"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp/pdu"
)

// AppendShortMessage encodes sm as a submit_sm or deliver_sm (cmd) with the
// given sequence number after dst (SMPP 3.4 sections 4.4.1 and 4.6.1).
// Validity is sent as a relative time; schedule_delivery_time is empty.
func AppendShortMessage(dst []byte, cmd pdu.CommandID, seq uint32, sm *ShortMessage) ([]byte, error) {
	if cmd != pdu.SubmitSM && cmd != pdu.DeliverSM {
		return dst, fmt.Errorf("smpp: %s does not carry a short message", cmd)
	}
	if len(sm.Message) > 255 {
		return dst, ErrMessageTooLong
	}
	var validity []byte
	if sm.Validity > 0 {
		validity = relativeTime(sm.Validity)
	}
	fields := [...]pdu.Field{
		{Bytes: []byte(sm.ServiceType)},
		{Int: sm.Source.TON}, {Int: sm.Source.NPI}, {Bytes: []byte(sm.Source.Addr)},
		{Int: sm.Dest.TON}, {Int: sm.Dest.NPI}, {Bytes: []byte(sm.Dest.Addr)},
		{Int: sm.ESMClass}, {Int: sm.ProtocolID}, {Int: sm.PriorityFlag},
		{}, {Bytes: validity},
		{Int: sm.RegisteredDelivery}, {}, {Int: sm.DataCoding}, {},
		{Bytes: sm.Message},
	}
	p := pdu.PDU{Header: pdu.Header{CommandID: cmd, Sequence: seq}, Fields: fields[:]}
	if len(sm.TLVs) > 0 {
		p.TLVs = make([]pdu.TLV, len(sm.TLVs))
		for i, t := range sm.TLVs {
			p.TLVs[i] = pdu.TLV{Tag: t.Tag, Value: t.Value}
		}
	}
	return p.Append(dst)
}

// ShortMessageFromPDU copies the short message out of a decoded submit_sm
// or deliver_sm. An absolute validity_period is not representable in
// ShortMessage and is read as 0 (the SMSC default).
func ShortMessageFromPDU(p *pdu.PDU) (ShortMessage, error) {
	if (p.CommandID != pdu.SubmitSM && p.CommandID != pdu.DeliverSM) || len(p.Fields) != 17 {
		return ShortMessage{}, fmt.Errorf("smpp: %s is not a short message", p.CommandID)
	}
	f := p.Fields
	sm := ShortMessage{
		ServiceType:        string(f[0].Bytes),
		Source:             Address{TON: f[1].Int, NPI: f[2].Int, Addr: string(f[3].Bytes)},
		Dest:               Address{TON: f[4].Int, NPI: f[5].Int, Addr: string(f[6].Bytes)},
		ESMClass:           f[7].Int,
		ProtocolID:         f[8].Int,
		PriorityFlag:       f[9].Int,
		Validity:           parseRelativeTime(f[11].Bytes),
		RegisteredDelivery: f[12].Int,
		DataCoding:         f[14].Int,
		Message:            append([]byte(nil), f[16].Bytes...),
	}
	for _, t := range p.TLVs {
		sm.TLVs = append(sm.TLVs, TLV{Tag: t.Tag, Value: append([]byte(nil), t.Value...)})
	}
	return sm, nil
}

// relativeTime renders d as an SMPP relative time "YYMMDDhhmmss000R"
// (SMPP 3.4 section 7.1.1.2), counting a year as 365 days and a month as
// 30; it saturates at 99 years.
func relativeTime(d time.Duration) []byte {
	secs := int64(d / time.Second)
	days := secs / 86400
	secs %= 86400
	years, days := min(days/365, 99), days%365
	months, days := days/30, days%30
	s := fmt.Sprintf("%02d%02d%02d%02d%02d%02d000R", years, months, days, secs/3600, secs%3600/60, secs%60)
	return []byte(s)
}

// parseRelativeTime is the inverse of relativeTime; anything that is not a
// well-formed relative time gives 0.
func parseRelativeTime(b []byte) time.Duration {
	if len(b) != 16 || b[15] != 'R' {
		return 0
	}
	var n [6]int64
	for i := range n {
		hi, lo := b[2*i]-'0', b[2*i+1]-'0'
		if hi > 9 || lo > 9 {
			return 0
		}
		n[i] = int64(hi)*10 + int64(lo)
	}
	days := n[0]*365 + n[1]*30 + n[2]
	return time.Duration(days*86400+n[3]*3600+n[4]*60+n[5]) * time.Second
}
