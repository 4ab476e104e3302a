package sip

import (
	"strings"

	"github.com/emiago/sipgo/sip"
)

// CPM service identifiers (ICSI, 3GPP TS 24.229) and the RCS file
// transfer application identifier (IARI), as they appear percent-encoded
// in the +g.3gpp.icsi-ref and +g.3gpp.iari-ref feature tags (RFC 3840).
const (
	icsiLargeMessage = "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.largemsg"
	icsiChat         = "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session"
	icsiFileTransfer = "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.filetransfer"
	iariFileTransfer = "urn%3Aurn-7%3A3gpp-application.ims.iari.rcse.ft"
)

// icsi is the service identifier iwf sends for k.
func (k SessionKind) icsi() string {
	switch k {
	case KindLargeMessage:
		return icsiLargeMessage
	case KindFileTransfer:
		return icsiFileTransfer
	}
	return icsiChat
}

// acceptContact is the Accept-Contact value of an INVITE for k (RFC
// 3841), e.g. *;+g.3gpp.icsi-ref="urn%3A...largemsg".
func (k SessionKind) acceptContact() string {
	return `*;+g.3gpp.icsi-ref="` + k.icsi() + `"`
}

// kindOf reads the kind of an incoming INVITE from the feature tags of
// its Accept-Contact and Contact headers; a file-selector in the SDP
// makes a file transfer whatever the tags say. An INVITE that names no
// CPM service is a chat.
func kindOf(req *sip.Request, fileSelector bool) SessionKind {
	var tags strings.Builder
	for _, h := range req.GetHeaders("Accept-Contact") {
		tags.WriteString(h.Value())
	}
	for _, h := range req.GetHeaders("a") { // compact form of Accept-Contact
		tags.WriteString(h.Value())
	}
	if c := req.Contact(); c != nil {
		tags.WriteString(c.Value())
	}
	all := strings.ToLower(tags.String())
	switch {
	case fileSelector, strings.Contains(all, strings.ToLower(icsiFileTransfer)),
		strings.Contains(all, strings.ToLower(iariFileTransfer)):
		return KindFileTransfer
	case strings.Contains(all, strings.ToLower(icsiLargeMessage)):
		return KindLargeMessage
	}
	return KindChat
}

// contactFor is iwf's Contact for a dialog on a listener of network
// ("udp" or "tcp") bound to addr, carrying the feature tag of k so that
// the peer sees which service iwf took part in.
func (e *Endpoint) contactFor(network, addr string, k SessionKind) sip.ContactHeader {
	host, port := e.contactHostPort(addr)
	u := sip.Uri{Scheme: "sip", User: "iwf", Host: host, Port: port, UriParams: sip.NewParams()}
	if network == "tcp" {
		u.UriParams.Add("transport", "tcp")
	}
	params := sip.NewParams()
	params.Add("+g.3gpp.icsi-ref", `"`+k.icsi()+`"`)
	return sip.ContactHeader{Address: u, Params: params}
}
