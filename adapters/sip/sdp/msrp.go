package sdp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The m= line of an MSRP media description (RFC 4975 section 8.1).
const (
	MediaMessage = "message"
	ProtoMSRP    = "TCP/MSRP"
	ProtoMSRPS   = "TCP/TLS/MSRP"
)

// Setup is an a=setup value (RFC 4145 section 4, for MSRP RFC 6135): which
// end opens the TCP connection.
type Setup string

// Setup values.
const (
	SetupActive   Setup = "active"   // this end connects
	SetupPassive  Setup = "passive"  // this end listens
	SetupActPass  Setup = "actpass"  // either; the answerer decides
	SetupHoldConn Setup = "holdconn" // no connection for now
)

// Direction is the direction attribute of a media description (RFC 3264
// section 5.1), seen from the end that wrote it.
type Direction string

// Direction values.
const (
	SendRecv Direction = "sendrecv"
	SendOnly Direction = "sendonly"
	RecvOnly Direction = "recvonly"
	Inactive Direction = "inactive"
)

// Reverse returns the direction an answer takes to d: sendonly becomes
// recvonly and recvonly sendonly.
func (d Direction) Reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	}
	return d
}

// MSRPMedia is the MSRP view of one media description: the attributes of
// RFC 4975 section 8, RFC 6135, RFC 6714 and RFC 5547 that iwf acts on.
// MSRPMediaOf reads it; Media writes it back.
type MSRPMedia struct {
	TLS                bool      // proto TCP/TLS/MSRP rather than TCP/MSRP
	Path               []string  // a=path: MSRP URIs, relays first, the endpoint last
	AcceptTypes        []string  // a=accept-types: "*", "type/subtype" or "type/*"
	AcceptWrappedTypes []string  // a=accept-wrapped-types; nil when absent
	MaxSize            int64     // a=max-size in octets; 0 when absent
	Setup              Setup     // a=setup; "" when absent (the offerer connects, RFC 4975)
	Direction          Direction // SendRecv when absent
	CEMA               bool      // a=msrp-cema: connect to c= and m=, not to the path (RFC 6714)
	Fingerprint        string    // a=fingerprint of the TLS certificate, as written; "" when absent

	// File transfer (RFC 5547); zero when absent.
	FileSelector    *FileSelector
	FileTransferID  string
	FileDisposition string // "render", "attachment", ...
	FileDate        string // a=file-date, as written
	FileIcon        string // a=file-icon, a cid: URL
	FileRange       *FileRange
}

var (
	errMissing  = errors.New("missing")
	errRepeated = errors.New("repeated")
	errNoValue  = errors.New("needs a value")
	errHasValue = errors.New("takes no value")
	errBadValue = errors.New("bad value")
	errBadURI   = errors.New("bad MSRP URI")
)

// MSRPMediaOf reads the MSRP attributes of m. It fails with ErrNotMSRP
// when m is not "message" over TCP/MSRP or TCP/TLS/MSRP, and with an
// *AttributeError when a=path or a=accept-types is missing, an attribute
// it reads is repeated or malformed. Attribute names are matched without
// regard to case; other attributes are ignored.
func MSRPMediaOf(m *Media) (MSRPMedia, error) {
	mm := MSRPMedia{Direction: SendRecv}
	switch {
	case !strings.EqualFold(m.Type, MediaMessage):
		return MSRPMedia{}, fmt.Errorf("%w: m=%s %s", ErrNotMSRP, m.Type, m.Proto)
	case strings.EqualFold(m.Proto, ProtoMSRPS):
		mm.TLS = true
	case !strings.EqualFold(m.Proto, ProtoMSRP):
		return MSRPMedia{}, fmt.Errorf("%w: m=%s %s", ErrNotMSRP, m.Type, m.Proto)
	}
	seen := map[string]bool{}
	for _, a := range m.Attributes {
		name := strings.ToLower(a.Name)
		key := name
		if isDirection(name) {
			key = "direction"
		}
		if !readsAttribute(name) {
			continue
		}
		if seen[key] {
			return MSRPMedia{}, attrError(name, a.Value, errRepeated)
		}
		seen[key] = true
		if err := mm.set(name, trimSpace(a.Value)); err != nil {
			var ae *AttributeError
			if errors.As(err, &ae) {
				return MSRPMedia{}, err
			}
			return MSRPMedia{}, attrError(name, a.Value, err)
		}
	}
	if mm.Path == nil {
		return MSRPMedia{}, attrError("path", "", errMissing)
	}
	if mm.AcceptTypes == nil {
		return MSRPMedia{}, attrError("accept-types", "", errMissing)
	}
	return mm, nil
}

func isDirection(name string) bool {
	switch Direction(name) {
	case SendRecv, SendOnly, RecvOnly, Inactive:
		return true
	}
	return false
}

// readsAttribute reports whether name is an attribute MSRPMedia holds.
func readsAttribute(name string) bool {
	switch name {
	case "path", "accept-types", "accept-wrapped-types", "max-size", "setup", "msrp-cema", "fingerprint",
		"file-selector", "file-transfer-id", "file-disposition", "file-date", "file-icon", "file-range":
		return true
	}
	return isDirection(name)
}

// set stores the value v of attribute name.
func (mm *MSRPMedia) set(name, v string) error {
	// Property attributes take no value; a bare a=file-selector only
	// announces support for file transfer (RFC 5547 section 6).
	if v == "" && name != "msrp-cema" && name != "file-selector" && !isDirection(name) {
		return errNoValue
	}
	switch name {
	case "path":
		return mm.setPath(v)
	case "accept-types":
		return setFormatList(&mm.AcceptTypes, v)
	case "accept-wrapped-types":
		return setFormatList(&mm.AcceptWrappedTypes, v)
	case "max-size":
		n, ok := parseUint(v, 1<<63-1)
		if !ok {
			return errBadValue
		}
		mm.MaxSize = int64(n)
	case "setup":
		mm.Setup = Setup(strings.ToLower(v))
		if !mm.Setup.valid() {
			return errBadValue
		}
	case "msrp-cema":
		mm.CEMA = true
		return noValue(v)
	case "fingerprint":
		mm.Fingerprint = v
	default:
		if isDirection(name) {
			mm.Direction = Direction(name)
			return noValue(v)
		}
		return mm.setFile(name, v)
	}
	return nil
}

func noValue(v string) error {
	if v != "" {
		return errHasValue
	}
	return nil
}

func (mm *MSRPMedia) setPath(v string) error {
	path := fields(v)
	if len(path) > MaxPathURIs {
		return errors.New("more than " + strconv.Itoa(MaxPathURIs) + " URIs")
	}
	for _, u := range path {
		if _, ok := parseMSRPURI(u); !ok {
			return errBadURI
		}
	}
	mm.Path = path
	return nil
}

func setFormatList(dst *[]string, v string) error {
	list := fields(v)
	for _, f := range list {
		if !isFormatEntry(f) {
			return errBadValue
		}
	}
	*dst = list
	return nil
}

// setFile stores one of the RFC 5547 attributes.
func (mm *MSRPMedia) setFile(name, v string) error {
	switch name {
	case "file-selector":
		f, err := ParseFileSelector(v)
		if err != nil {
			return err
		}
		mm.FileSelector = &f
	case "file-transfer-id":
		if !isToken(v) {
			return errBadValue
		}
		mm.FileTransferID = v
	case "file-disposition":
		if !isToken(v) {
			return errBadValue
		}
		mm.FileDisposition = v
	case "file-date":
		mm.FileDate = v
	case "file-icon":
		mm.FileIcon = v
	case "file-range":
		r, err := ParseFileRange(v)
		if err != nil {
			return err
		}
		mm.FileRange = &r
	}
	return nil
}

func (s Setup) valid() bool {
	switch s {
	case SetupActive, SetupPassive, SetupActPass, SetupHoldConn:
		return true
	}
	return false
}

// Media returns the media description of mm on port: an m= line
// "message <port> TCP/MSRP *" (TCP/TLS/MSRP with TLS) and the attributes
// in the order path, setup, accept-types, accept-wrapped-types, max-size,
// msrp-cema, fingerprint, direction (only when not sendrecv) and the file
// transfer attributes. It fails with ErrInvalid on a value MSRPMediaOf
// would not read back.
func (mm *MSRPMedia) Media(port int) (Media, error) {
	if err := mm.check(port); err != nil {
		return Media{}, invalid("msrp media: %v", err)
	}
	m := Media{Type: MediaMessage, Port: port, Proto: proto(mm.TLS), Formats: []string{"*"}}
	add := func(name, value string) { m.Attributes = append(m.Attributes, Attribute{Name: name, Value: value}) }
	add("path", strings.Join(mm.Path, " "))
	if mm.Setup != "" {
		add("setup", string(mm.Setup))
	}
	add("accept-types", strings.Join(mm.AcceptTypes, " "))
	if mm.AcceptWrappedTypes != nil {
		add("accept-wrapped-types", strings.Join(mm.AcceptWrappedTypes, " "))
	}
	if mm.MaxSize > 0 {
		add("max-size", strconv.FormatInt(mm.MaxSize, 10))
	}
	if mm.CEMA {
		add("msrp-cema", "")
	}
	if mm.Fingerprint != "" {
		add("fingerprint", mm.Fingerprint)
	}
	if mm.Direction != "" && mm.Direction != SendRecv {
		add(string(mm.Direction), "")
	}
	mm.appendFile(add)
	return m, nil
}

func (mm *MSRPMedia) appendFile(add func(name, value string)) {
	if mm.FileSelector != nil {
		add("file-selector", mm.FileSelector.String())
	}
	for _, a := range [...]struct{ name, value string }{
		{"file-transfer-id", mm.FileTransferID},
		{"file-disposition", mm.FileDisposition},
		{"file-date", mm.FileDate},
		{"file-icon", mm.FileIcon},
	} {
		if a.value != "" {
			add(a.name, a.value)
		}
	}
	if mm.FileRange != nil {
		add("file-range", mm.FileRange.String())
	}
}

// check reports the first field of mm that Media cannot write.
func (mm *MSRPMedia) check(port int) error {
	switch {
	case port < 0 || port > 65535:
		return errors.New("bad port " + strconv.Itoa(port))
	case len(mm.Path) == 0 || len(mm.Path) > MaxPathURIs:
		return errors.New("path needs 1 to " + strconv.Itoa(MaxPathURIs) + " URIs")
	case !validFormatList(mm.AcceptTypes, false):
		return errors.New("bad accept-types")
	case !validFormatList(mm.AcceptWrappedTypes, true):
		return errors.New("bad accept-wrapped-types")
	case mm.MaxSize < 0:
		return errors.New("negative max-size")
	case mm.Setup != "" && !mm.Setup.valid():
		return errors.New("bad setup " + string(mm.Setup))
	case mm.Direction != "" && !isDirection(string(mm.Direction)):
		return errors.New("bad direction " + string(mm.Direction))
	case !isAttrText(mm.Fingerprint) || !isAttrText(mm.FileDate) || !isAttrText(mm.FileIcon):
		return errors.New("bad fingerprint, file-date or file-icon")
	case mm.FileTransferID != "" && !isToken(mm.FileTransferID),
		mm.FileDisposition != "" && !isToken(mm.FileDisposition):
		return errors.New("bad file-transfer-id or file-disposition")
	}
	for _, u := range mm.Path {
		if _, ok := parseMSRPURI(u); !ok {
			return errBadURI
		}
	}
	if mm.FileSelector != nil {
		if err := mm.FileSelector.check(); err != nil {
			return err
		}
	}
	if mm.FileRange != nil {
		return mm.FileRange.check()
	}
	return nil
}

// validFormatList reports whether list is a non-empty list of format
// entries, or nil where nil is allowed.
func validFormatList(list []string, nilOK bool) bool {
	if list == nil {
		return nilOK
	}
	if len(list) == 0 {
		return false
	}
	for _, f := range list {
		if !isFormatEntry(f) {
			return false
		}
	}
	return true
}

// isAttrText reports whether s is empty or an attribute value that reads
// back unchanged: no CR, LF or NUL and no space at either end.
func isAttrText(s string) bool {
	return isText(s) && s == trimSpace(s)
}
