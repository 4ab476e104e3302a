// Package mm7 is a pure codec for MM7, the VASP <-> MMS Relay/Server
// reference point of 3GPP TS 23.140 (clause 8.7 and Annex L): SOAP 1.1
// envelopes carried in multipart/related (SOAP Messages with Attachments)
// over HTTP.
//
// It owns the wire form of every MM7 operation: SubmitReq/Rsp,
// DeliverReq/Rsp, DeliveryReportReq/Rsp, ReadReplyReq/Rsp, CancelReq/Rsp,
// ReplaceReq/Rsp and the two SOAP faults RSErrorRsp and VASPErrorRsp. It
// does no I/O, keeps no state and never reads the clock: Decode turns an
// HTTP Content-Type and body into a Message, Encode does the reverse.
//
// Layout of a request carrying content:
//
//	Content-Type: multipart/related; boundary=B; type="text/xml"; start="<S>"
//
//	--B
//	Content-Type: text/xml; charset="utf-8"
//	Content-ID: <S>
//
//	<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">
//	  <env:Header>
//	    <mm7:TransactionID xmlns:mm7="…/REL-6-MM7-1-4" env:mustUnderstand="1">id</mm7:TransactionID>
//	  </env:Header>
//	  <env:Body>
//	    <DeliverReq xmlns="…/REL-6-MM7-1-4"> … <Content href="cid:C"/></DeliverReq>
//	  </env:Body>
//	</env:Envelope>
//	--B
//	Content-Type: multipart/related; type="application/smil"; start="<smil>"; boundary=N
//	Content-ID: <C>
//
//	(nested parts: SMIL, images, text …)
//	--B--
//
// Input is accepted in every REL-5-MM7-1-x and REL-6-MM7-1-x namespace (and
// any later 23.140 schema namespace), with any prefix or default-namespace
// style; output is written in the Version the caller chooses.
//
// Bad input is refused with a *DecodeError carrying the MM7 StatusCode the
// peer should receive (4004 validation error, 4003 unsupported operation,
// 4002 unsupported version). A DOCTYPE anywhere in the XML is refused, so
// no entity is ever expanded. Sizes, XML depth, MIME nesting, part count and
// header length are bounded by Limits. A Content href that names no part
// is refused (4004) unless Limits.LenientContentRef is set and there is a
// single attachment; the TS 23.140 examples themselves get the cid wrong.
//
// Charsets: the XML declaration's encoding is honoured; without one, the
// charset parameter of the SOAP part is. Attachments keep their bytes and
// Content-Type as received; Part.Text decodes a text part by its charset.
// Encode always writes UTF-8 XML.
package mm7
