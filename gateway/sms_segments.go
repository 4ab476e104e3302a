package gateway

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/translate"
)

// segments turns a message into the submit_sm bodies of its route. The
// concatenation reference is chosen once and journaled with the parts, so
// a retry resubmits identical segments.
func (g *Gateway) segments(r *smsRoute, it *item) ([]smpp.ShortMessage, error) {
	src, err := g.smppAddress(it.msg.From, r)
	if err != nil {
		return nil, fmt.Errorf("gateway: sender: %w", err)
	}
	dst, err := g.smppAddress(it.msg.To, r)
	if err != nil {
		return nil, fmt.Errorf("gateway: recipient: %w", err)
	}
	if it.concatRef == 0 {
		it.concatRef = uint16(g.concatRef.Add(1)%0xFFFF) + 1
	}
	rt := r.SMS
	rt.Source, rt.Dest = src, dst
	rt.Reference = it.concatRef
	rt.RegisteredDelivery = wantsReceipts(&it.msg)
	if !it.expiry.IsZero() {
		// Relative validity, whole minutes, at least one.
		v := it.expiry.Sub(g.now()).Truncate(time.Minute)
		rt.Validity = max(v, time.Minute)
	}
	return translate.SMSFromMessage(&it.msg, rt)
}

func (g *Gateway) smppAddress(a cpm.Address, r *smsRoute) (smpp.Address, error) {
	n, err := g.deps.Addresses.Normalize(string(a))
	if err != nil {
		return smpp.Address{}, err
	}
	addr, ton, npi, err := g.deps.Addresses.ToSMPP(n, r.Addresses)
	if err != nil {
		return smpp.Address{}, err
	}
	return smpp.Address{Addr: addr, TON: ton, NPI: npi}, nil
}

// receiptRefs are the journal refs under which a segment's receipts are
// looked up: the SMSC's message_id in canonical form and, when it reads as
// hexadecimal, its decimal value too (SMSCs often answer submit_sm_resp in
// hex and write the receipt id in decimal, or the other way round).
func receiptRefs(route, id string) []string {
	c := canonicalID(id)
	refs := []string{"r/" + route + "/" + c}
	if v, err := strconv.ParseUint(c, 16, 64); err == nil && len(c) <= 16 {
		if d := strconv.FormatUint(v, 10); d != c {
			refs = append(refs, "r/"+route+"/"+d)
		}
	}
	return refs
}

// receiptLookups are the refs to try for a receipt's id, in order: as
// written, then, when it is decimal, as its hexadecimal value.
func receiptLookups(route, id string) []string {
	c := canonicalID(id)
	refs := []string{"r/" + route + "/" + c}
	if v, err := strconv.ParseUint(c, 10, 64); err == nil {
		if h := strconv.FormatUint(v, 16); h != c {
			refs = append(refs, "r/"+route+"/"+h)
		}
	}
	return refs
}

// canonicalID lower-cases an SMSC message id and strips leading zeros.
func canonicalID(id string) string {
	c := strings.ToLower(strings.TrimSpace(id))
	t := strings.TrimLeft(c, "0")
	if t == "" && c != "" {
		return "0"
	}
	return t
}
