package mm7

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/ianaindex"
)

// envelope is the decoded SOAP envelope of an MM7 message.
type envelope struct {
	transactionID string
	version       Version
	op            Operation
}

var doctypeMarkers = [][]byte{[]byte("<!DOCTYPE"), []byte("<!ENTITY")}

// checkXML refuses DTDs and entity declarations, checks b is well formed
// and bounds element depth, all before any value is decoded.
func checkXML(b []byte, lim Limits) error {
	upper := bytes.ToUpper(b)
	for _, m := range doctypeMarkers {
		if bytes.Contains(upper, m) {
			return invalid(ErrDoctype)
		}
	}
	d := newXMLDecoder(bytes.NewReader(b))
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return invalid(fmt.Errorf("%w: %w", ErrBadXML, err))
		}
		switch tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
			if depth > lim.MaxXMLDepth {
				return invalid(fmt.Errorf("%w: xml depth over %d", ErrTooDeep, lim.MaxXMLDepth))
			}
		case xml.EndElement:
			depth--
		case xml.Directive:
			return invalid(ErrDoctype)
		}
	}
	if roots != 1 {
		return invalid(fmt.Errorf("%w: %d root elements", ErrBadXML, roots))
	}
	return nil
}

func newXMLDecoder(r io.Reader) *xml.Decoder {
	d := xml.NewDecoder(r)
	d.Strict = true
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		enc, err := ianaindex.IANA.Encoding(label)
		if err != nil || enc == nil {
			return nil, fmt.Errorf("mm7: unsupported xml encoding %q", label)
		}
		return enc.NewDecoder().Reader(in), nil
	}
	return d
}

// firstStart returns the first start element of d.
func firstStart(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		if s, ok := tok.(xml.StartElement); ok {
			return s, nil
		}
	}
}

// nextChild returns the next child start element of the current element,
// or ok=false at its end.
func nextChild(d *xml.Decoder) (xml.StartElement, bool, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.StartElement{}, false, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, true, nil
		case xml.EndElement:
			return xml.StartElement{}, false, nil
		}
	}
}

// decodeEnvelope decodes a SOAP 1.1 envelope holding one MM7 operation.
func decodeEnvelope(b []byte, lim Limits) (envelope, error) {
	var env envelope
	if err := checkXML(b, lim); err != nil {
		return env, err
	}
	d := newXMLDecoder(bytes.NewReader(b))
	root, err := firstStart(d)
	if err != nil {
		return env, invalid(fmt.Errorf("%w: %w", ErrBadXML, err))
	}
	if root.Name.Space != SOAPNamespace || root.Name.Local != "Envelope" {
		return env, invalid(fmt.Errorf("%w: root is {%s}%s", ErrNotEnvelope, root.Name.Space, root.Name.Local))
	}
	haveTx := false
	for {
		el, ok, err := nextChild(d)
		if err != nil {
			return env, invalid(fmt.Errorf("%w: %w", ErrBadXML, err))
		}
		if !ok {
			return env, invalid(fmt.Errorf("%w: no body", ErrNotEnvelope))
		}
		switch {
		case el.Name.Space == SOAPNamespace && el.Name.Local == "Header":
			if env.transactionID, haveTx, err = decodeHeader(d); err != nil {
				return env, err
			}
		case el.Name.Space == SOAPNamespace && el.Name.Local == "Body":
			if !haveTx {
				return env, invalid(ErrNoTransactionID)
			}
			err := decodeBody(d, &env)
			return env, err
		default:
			return env, invalid(fmt.Errorf("%w: unexpected %s", ErrNotEnvelope, el.Name.Local))
		}
	}
}

// decodeHeader reads the SOAP Header children; TransactionID is required
// and any other header marked mustUnderstand="1" is refused.
func decodeHeader(d *xml.Decoder) (string, bool, error) {
	var id string
	found := false
	for {
		el, ok, err := nextChild(d)
		if err != nil {
			return "", false, invalid(fmt.Errorf("%w: %w", ErrBadXML, err))
		}
		if !ok {
			return id, found, nil
		}
		if el.Name.Local == "TransactionID" {
			if _, err := ParseVersion(el.Name.Space); err != nil {
				return "", false, refuse(StatusUnsupportedVersion, fmt.Errorf("%w: %q", err, el.Name.Space))
			}
			var v struct {
				Text string `xml:",chardata"`
			}
			if err := d.DecodeElement(&v, &el); err != nil {
				return "", false, invalid(fmt.Errorf("%w: %w", ErrBadXML, err))
			}
			id, found = strings.TrimSpace(v.Text), true
			continue
		}
		for _, a := range el.Attr {
			if a.Name.Space == SOAPNamespace && a.Name.Local == "mustUnderstand" &&
				(a.Value == "1" || a.Value == "true") {
				return "", false, invalid(fmt.Errorf("%w: %s", ErrMustUnderstand, el.Name.Local))
			}
		}
		if err := d.Skip(); err != nil {
			return "", false, invalid(fmt.Errorf("%w: %w", ErrBadXML, err))
		}
	}
}

// decodeBody reads the one operation (or Fault) in the SOAP Body.
func decodeBody(d *xml.Decoder, env *envelope) error {
	el, ok, err := nextChild(d)
	if err != nil {
		return invalid(fmt.Errorf("%w: %w", ErrBadXML, err))
	}
	if !ok {
		return refuse(StatusUnsupportedOperation, fmt.Errorf("%w: empty body", ErrUnknownOperation))
	}
	var fault *Fault
	if el.Name.Space == SOAPNamespace && el.Name.Local == "Fault" {
		fault = &Fault{}
		if el, err = decodeFault(d, fault); err != nil {
			return err
		}
	}
	op := newOperation(el.Name.Local)
	if op == nil || (fault != nil) != isFaultOperation(op) {
		return refuse(StatusUnsupportedOperation, fmt.Errorf("%w: %q", ErrUnknownOperation, el.Name.Local))
	}
	if err := decodeOperationElement(d, el, op); err != nil {
		return err
	}
	if fault != nil {
		setFault(op, *fault)
	}
	env.version, env.op = Version(el.Name.Space), op
	return nil
}

// decodeFault reads faultcode and faultstring up to the first element in
// detail, and returns that element; the decoder is left inside it.
func decodeFault(d *xml.Decoder, f *Fault) (xml.StartElement, error) {
	for {
		el, ok, err := nextChild(d)
		if err != nil {
			return el, invalid(fmt.Errorf("%w: %w", ErrBadXML, err))
		}
		if !ok {
			return el, refuse(StatusUnsupportedOperation, fmt.Errorf("%w: fault without detail", ErrUnknownOperation))
		}
		switch el.Name.Local {
		case "faultcode", "faultstring":
			var v struct {
				Text string `xml:",chardata"`
			}
			if err := d.DecodeElement(&v, &el); err != nil {
				return el, invalid(fmt.Errorf("%w: %w", ErrBadXML, err))
			}
			if el.Name.Local == "faultstring" {
				f.String = v.Text
				continue
			}
			code := strings.TrimSpace(v.Text)
			if i := strings.LastIndexByte(code, ':'); i >= 0 {
				code = code[i+1:]
			}
			if code == "" {
				return el, invalid(fmt.Errorf("%w: empty faultcode", ErrInvalid))
			}
			f.Code = code
		case "detail":
			child, ok, err := nextChild(d)
			if err != nil || !ok {
				return el, refuse(StatusUnsupportedOperation, fmt.Errorf("%w: empty fault detail", ErrUnknownOperation))
			}
			if f.Code == "" {
				return el, invalid(fmt.Errorf("%w: fault without faultcode", ErrInvalid))
			}
			return child, nil
		default:
			if err := d.Skip(); err != nil {
				return el, invalid(fmt.Errorf("%w: %w", ErrBadXML, err))
			}
		}
	}
}

func isFaultOperation(op Operation) bool {
	switch op.(type) {
	case *RSErrorRsp, *VASPErrorRsp:
		return true
	}
	return false
}

func setFault(op Operation, f Fault) {
	switch o := op.(type) {
	case *RSErrorRsp:
		o.Fault = f
	case *VASPErrorRsp:
		o.Fault = f
	}
}

func faultOf(op Operation) Fault {
	switch o := op.(type) {
	case *RSErrorRsp:
		return o.Fault
	case *VASPErrorRsp:
		return o.Fault
	}
	return Fault{}
}

// encodeEnvelope writes the SOAP envelope around op in namespace v.
func encodeEnvelope(buf *bytes.Buffer, txID string, op Operation, v Version) error {
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	buf.WriteString(`<env:Envelope xmlns:env="` + SOAPNamespace + `"><env:Header>`)
	buf.WriteString(`<mm7:TransactionID xmlns:mm7="`)
	xml.EscapeText(buf, []byte(v))
	buf.WriteString(`" env:mustUnderstand="1">`)
	xml.EscapeText(buf, []byte(txID))
	buf.WriteString(`</mm7:TransactionID></env:Header><env:Body>`)
	fault := isFaultOperation(op)
	if fault {
		f := faultOf(op)
		code := f.Code
		if code == "" {
			code = "Server"
		}
		buf.WriteString(`<env:Fault><faultcode>env:`)
		xml.EscapeText(buf, []byte(code))
		buf.WriteString(`</faultcode><faultstring>`)
		xml.EscapeText(buf, []byte(f.String))
		buf.WriteString(`</faultstring><detail>`)
	}
	if err := marshalOperation(buf, op, v); err != nil {
		return err
	}
	if fault {
		buf.WriteString(`</detail></env:Fault>`)
	}
	buf.WriteString("</env:Body></env:Envelope>\n")
	return nil
}
