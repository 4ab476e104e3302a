package msrp

import (
	"errors"
	"strings"
)

// headerSet decodes header lines into a Frame and remembers which typed
// headers it has seen.
type headerSet struct {
	seen [len(typedHeaders)]bool
}

var (
	errReportValue = errors.New("want yes or no")
	errFailureVal  = errors.New("want yes, no or partial")
	errIdent       = errors.New("want an ident of 4 to 32 characters")
	errHeaderLine  = errors.New("want <name>: <value>")
)

// add decodes one header line "name: value" and returns the canonical
// name of a typed header ("" for another).
func (h *headerSet) add(f *Frame, line string) (canon string, err error) {
	name, value, ok := strings.Cut(line, ":")
	if !ok || !isToken(name) {
		return "", headerError("header", line, errHeaderLine)
	}
	if !isText(value) {
		return "", headerError(name, value, errors.New("control character in value"))
	}
	value = trimSpace(value)
	canon = typedHeader(name)
	if canon == "" {
		f.Extra = append(f.Extra, Header{Name: name, Value: value})
		return "", nil
	}
	for i, t := range typedHeaders {
		if t == canon {
			if h.seen[i] {
				return "", headerError(canon, value, ErrDuplicateHeader)
			}
			h.seen[i] = true
		}
	}
	return canon, f.setTyped(canon, value)
}

// setTyped decodes the value of a typed header into f.
func (f *Frame) setTyped(name, value string) (err error) {
	switch name {
	case hdrToPath:
		f.ToPath, err = ParsePath(value)
	case hdrFromPath:
		f.FromPath, err = ParsePath(value)
	case hdrMessageID:
		if !IsIdent(value) {
			return headerError(name, value, errIdent)
		}
		f.MessageID = value
	case hdrByteRange:
		var r ByteRange
		r, err = ParseByteRange(value)
		f.ByteRange = &r
	case hdrSuccessReport:
		f.SuccessReport = strings.ToLower(value)
		if f.SuccessReport != "yes" && f.SuccessReport != "no" {
			return headerError(name, value, errReportValue)
		}
	case hdrFailureReport:
		f.FailureReport = strings.ToLower(value)
		if f.FailureReport != "yes" && f.FailureReport != "no" && f.FailureReport != "partial" {
			return headerError(name, value, errFailureVal)
		}
	case hdrStatus:
		var st Status
		st, err = ParseStatus(value)
		f.Status = &st
	case hdrContentType:
		if value == "" {
			return headerError(name, value, errors.New("empty media type"))
		}
		f.ContentType = value
	}
	return err
}

// finish checks the headers every frame needs.
func (h *headerSet) finish(f *Frame) error {
	if f.ToPath == nil {
		return headerError(hdrToPath, "", ErrMissingHeader)
	}
	if f.FromPath == nil {
		return headerError(hdrFromPath, "", ErrMissingHeader)
	}
	if f.IsResponse() && f.ContentType != "" {
		return headerError(hdrContentType, f.ContentType, errors.New("not allowed in a response"))
	}
	return nil
}
