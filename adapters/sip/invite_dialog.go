package sip

import (
	"crypto/rand"
	"encoding/binary"
	"slices"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// dialog is one INVITE dialog (RFC 3261 section 12) as iwf keeps it: its
// identifiers, route set and remote target, and both CSeq spaces. iwf
// follows loose routing only: a route set whose first URI lacks ;lr is
// used as if it had it.
//
// The identifiers and route set are fixed when the dialog is
// established; the remote target and the CSeq numbers change under mu.
type dialog struct {
	key       string // dialogKey(callID, localTag, remoteTag)
	callID    string
	local     sip.Uri // iwf's From in its requests
	localTag  string
	remote    sip.Uri
	remoteTag string
	routes    []sip.Uri // Route headers of iwf's requests, in order
	transport string    // "TCP" or "UDP"
	contact   sip.ContactHeader
	client    *sipgo.Client // of the listener the dialog lives on

	mu        sync.Mutex
	target    sip.Uri // the peer's Contact
	localSeq  uint32  // CSeq of iwf's last request
	remoteSeq uint32  // CSeq of the peer's last request; 0 before any
}

// dialogKey identifies a dialog seen from iwf, whichever side created
// it; sip.DialogIDFromRequestUAS gives the same key for a request the
// peer sends in it.
func dialogKey(callID, localTag, remoteTag string) string {
	return sip.DialogIDMake(callID, localTag, remoteTag)
}

// uasDialog is the dialog iwf creates by answering inv with localTag
// (RFC 3261 section 12.1.1).
func uasDialog(inv *sip.Request, localTag string, contact sip.ContactHeader, client *sipgo.Client) *dialog {
	from, to := inv.From(), inv.To()
	remoteTag, _ := from.Params.Get("tag")
	d := &dialog{
		callID: inv.CallID().Value(), local: to.Address, localTag: localTag,
		remote: from.Address, remoteTag: remoteTag, transport: inv.Transport(),
		contact: contact, client: client, target: inv.Contact().Address, remoteSeq: inv.CSeq().SeqNo,
		localSeq: randomSeq(),
	}
	for _, h := range inv.GetHeaders("Record-Route") {
		if rr, ok := h.(*sip.RecordRouteHeader); ok {
			d.routes = append(d.routes, rr.Address)
		}
	}
	d.key = dialogKey(d.callID, d.localTag, d.remoteTag)
	return d
}

// uacDialog is the dialog a 2xx to iwf's INVITE creates (RFC 3261
// section 12.1.2).
func uacDialog(inv *sip.Request, res *sip.Response, contact sip.ContactHeader, client *sipgo.Client) *dialog {
	localTag, _ := inv.From().Params.Get("tag")
	remoteTag, _ := res.To().Params.Get("tag")
	d := &dialog{
		callID: inv.CallID().Value(), local: inv.From().Address, localTag: localTag,
		remote: inv.To().Address, remoteTag: remoteTag, transport: inv.Transport(),
		contact: contact, client: client, target: inv.Recipient, localSeq: inv.CSeq().SeqNo,
	}
	if c := res.Contact(); c != nil {
		d.target = c.Address
	}
	for _, h := range res.GetHeaders("Record-Route") {
		if rr, ok := h.(*sip.RecordRouteHeader); ok {
			d.routes = append(d.routes, rr.Address)
		}
	}
	slices.Reverse(d.routes)
	d.key = dialogKey(d.callID, d.localTag, d.remoteTag)
	return d
}

// request builds a request within the dialog (RFC 3261 section
// 12.2.1.1) with the next local CSeq; sipgo adds Via when it sends it.
func (d *dialog) request(method sip.RequestMethod) *sip.Request {
	d.mu.Lock()
	d.localSeq++
	seq, target := d.localSeq, d.target
	d.mu.Unlock()
	return d.build(method, seq, target)
}

// ack builds the ACK for a 2xx to the INVITE whose CSeq was seq.
func (d *dialog) ack(seq uint32) *sip.Request {
	d.mu.Lock()
	target := d.target
	d.mu.Unlock()
	return d.build(sip.ACK, seq, target)
}

func (d *dialog) build(method sip.RequestMethod, seq uint32, target sip.Uri) *sip.Request {
	req := sip.NewRequest(method, *target.Clone())
	from := &sip.FromHeader{Address: *d.local.Clone(), Params: sip.NewParams()}
	from.Params.Add("tag", d.localTag)
	to := &sip.ToHeader{Address: *d.remote.Clone(), Params: sip.NewParams()}
	to.Params.Add("tag", d.remoteTag)
	callID := sip.CallIDHeader(d.callID)
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
	req.AppendHeader(&maxFwd)
	for _, r := range d.routes {
		req.AppendHeader(&sip.RouteHeader{Address: *r.Clone()})
	}
	if method != sip.ACK {
		req.AppendHeader(sip.HeaderClone(&d.contact))
	}
	req.SetTransport(d.transport)
	return req
}

// acceptRemoteSeq records the CSeq of a request the peer sent in the
// dialog. It reports false for one lower than the last (RFC 3261
// section 12.2.2: answered 500).
func (d *dialog) acceptRemoteSeq(seq uint32) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.remoteSeq != 0 && seq < d.remoteSeq {
		return false
	}
	d.remoteSeq = seq
	return true
}

// setTarget takes the Contact of a target refresh request (re-INVITE,
// UPDATE) as the new remote target.
func (d *dialog) setTarget(req *sip.Request) {
	if c := req.Contact(); c != nil {
		d.mu.Lock()
		d.target = c.Address
		d.mu.Unlock()
	}
}

// setTargetFromResponse takes the Contact of a 2xx to iwf's re-INVITE
// as the new remote target.
func (d *dialog) setTargetFromResponse(res *sip.Response) {
	if c := res.Contact(); c != nil {
		d.mu.Lock()
		d.target = c.Address
		d.mu.Unlock()
	}
}

// randomSeq is the first CSeq of a dialog iwf answered: below 2^31, as
// RFC 3261 section 8.1.1.5 asks, leaving room to count up.
func randomSeq() uint32 {
	return uint32(randomUint64()&0x7fff) + 1
}

// randomUint64 returns 64 random bits.
func randomUint64() uint64 {
	var b [8]byte
	rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:])
}
