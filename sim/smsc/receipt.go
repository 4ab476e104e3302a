package smsc

import (
	"context"
	"fmt"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
)

type receipt struct {
	due       time.Time
	submitted time.Time
	id        string
	sm        smpp.ShortMessage
}

// messageState maps a receipt stat: to the message_state TLV value (SMPP
// 3.4 section 5.2.28); 0 when unknown.
func messageState(stat string) byte {
	return map[string]byte{"ENROUTE": 1, "DELIVRD": 2, "EXPIRED": 3, "DELETED": 4,
		"UNDELIV": 5, "ACCEPTD": 6, "UNKNOWN": 7, "REJECTD": 8}[stat]
}

func (s *SMSC) queueReceipt(sm smpp.ShortMessage, id string) {
	now := time.Now()
	select {
	case s.receiptQ <- receipt{due: now.Add(s.cfg.ReceiptDelay), submitted: now, id: id, sm: sm}:
	case <-s.quit:
	}
}

// sendReceipts sends queued receipts in order once due, while not held and
// while a receiver is bound.
func (s *SMSC) sendReceipts() {
	for {
		var r receipt
		select {
		case r = <-s.receiptQ:
		case <-s.quit:
			return
		}
		for {
			if !s.holdReceipt.Load() && time.Until(r.due) <= 0 {
				if c := s.receiverConn(); c != nil && s.sendReceipt(c, r) {
					break
				}
			}
			wait := max(time.Until(r.due), 50*time.Millisecond)
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-s.receiptWake:
				t.Stop()
			case <-s.quit:
				t.Stop()
				return
			}
		}
	}
}

func (s *SMSC) sendReceipt(c *conn, r receipt) bool {
	const layout = "0601021504"
	stat := s.cfg.ReceiptStat
	text := r.sm.Message
	if len(text) > 20 {
		text = text[:20]
	}
	body := fmt.Sprintf("id:%s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s err:000 text:%s",
		r.id, map[bool]string{true: "001", false: "000"}[stat == "DELIVRD"],
		r.submitted.UTC().Format(layout), time.Now().UTC().Format(layout), stat, text)
	sm := smpp.ShortMessage{
		Source:   r.sm.Dest,
		Dest:     r.sm.Source,
		ESMClass: smpp.ESMClassDeliveryReceipt,
		Message:  []byte(body),
		TLVs: []smpp.TLV{
			{Tag: smpp.TagReceiptedMessageID, Value: append([]byte(r.id), 0)},
			{Tag: smpp.TagMessageState, Value: []byte{messageState(stat)}},
		},
	}
	// deliver also ends when Close closes the connection.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.deliver(ctx, &sm); err != nil {
		s.log.Debug("smsc: receipt not accepted", "id", r.id, "err", err)
		return false
	}
	s.receipts.Add(1)
	return true
}
