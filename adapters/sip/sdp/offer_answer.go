package sdp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Local is iwf's end of an MSRP session: what its offers and answers
// say about where it listens.
type Local struct {
	// Username is the o= username; "-" when empty.
	Username string
	// SessionID is the o= sess-id and sess-version. RFC 8866 suggests an
	// NTP timestamp; the caller picks it, since this package reads no
	// clock.
	SessionID uint64
	// Address is the o= and c= address: an IPv4 or IPv6 address, or a
	// host name. It is where iwf listens for MSRP.
	Address string
	// Port is the TCP port iwf listens on for MSRP, the m= port.
	Port int
	// Path is iwf's MSRP URI for this session, with a fresh session-id,
	// e.g. "msrp://192.0.2.7:2855/s8fj2kd9;tcp". Its scheme must be msrps
	// exactly when TLS is set, and a port in it must equal Port.
	Path string
	// TLS selects TCP/TLS/MSRP; otherwise TCP/MSRP.
	TLS bool
	// Fingerprint is the a=fingerprint value of iwf's TLS certificate
	// (RFC 8122), e.g. "SHA-256 4A:AD:B9:...", sent when TLS is set.
	Fingerprint string
	// AcceptTypes are the media types iwf receives, e.g. "message/cpim",
	// "text/plain", "*". At least one.
	AcceptTypes []string
	// AcceptWrappedTypes are the media types iwf receives inside
	// message/cpim, e.g. "text/plain", "message/imdn+xml".
	AcceptWrappedTypes []string
	// MaxSize is the largest message iwf receives, announced as
	// a=max-size; 0 announces none.
	MaxSize int64
}

// Validate reports a field that cannot go into an offer or answer.
func (l *Local) Validate() error {
	u, ok := parseMSRPURI(l.Path)
	switch {
	case !isNonWS(l.Address):
		return invalid("local address %q", l.Address)
	case l.Port < 1 || l.Port > 65535:
		return invalid("local port %d", l.Port)
	case !ok:
		return invalid("local path %q is not an MSRP URI", l.Path)
	case u.secure != l.TLS:
		return invalid("local path %q: scheme does not match tls=%t", l.Path, l.TLS)
	case u.port != 0 && u.port != l.Port:
		return invalid("local path %q: port is not %d", l.Path, l.Port)
	case !validFormatList(l.AcceptTypes, false):
		return invalid("local accept-types %q", l.AcceptTypes)
	case len(l.AcceptWrappedTypes) > 0 && !validFormatList(l.AcceptWrappedTypes, false):
		return invalid("local accept-wrapped-types %q", l.AcceptWrappedTypes)
	case l.MaxSize < 0:
		return invalid("local max-size %d", l.MaxSize)
	case !isAttrText(l.Fingerprint) || l.Username != "" && !isNonWS(l.Username):
		return invalid("local fingerprint or username")
	}
	return nil
}

// session returns the session-level lines of a description of l with
// one media description.
func (l *Local) session(m []Media) *Session {
	addrType := "IP4"
	if strings.Contains(l.Address, ":") {
		addrType = "IP6"
	}
	user := l.Username
	if user == "" {
		user = "-"
	}
	id := strconv.FormatUint(l.SessionID, 10)
	return &Session{
		Origin:     Origin{Username: user, SessionID: id, SessionVersion: id, NetType: "IN", AddrType: addrType, Address: l.Address},
		Name:       "-",
		Connection: &Connection{NetType: "IN", AddrType: addrType, Address: l.Address},
		Times:      []Time{{}},
		Media:      m,
	}
}

// msrpMedia returns the attributes l announces in any description.
func (l *Local) msrpMedia() MSRPMedia {
	mm := MSRPMedia{
		TLS:         l.TLS,
		Path:        []string{l.Path},
		AcceptTypes: l.AcceptTypes,
		MaxSize:     l.MaxSize,
		Direction:   SendRecv,
	}
	if len(l.AcceptWrappedTypes) > 0 {
		mm.AcceptWrappedTypes = l.AcceptWrappedTypes
	}
	if l.TLS {
		mm.Fingerprint = l.Fingerprint
	}
	return mm
}

// OfferConfig describes an outgoing CPM large message or file transfer
// session.
type OfferConfig struct {
	Local
	// Setup is iwf's a=setup; empty means actpass, which lets the
	// answerer choose who connects (RFC 6135).
	Setup Setup
	// Direction is iwf's direction; empty means sendrecv. A large message
	// or a file push is sendonly.
	Direction Direction
	// CEMA adds a=msrp-cema (RFC 6714), as 3GPP TS 24.247 asks of an
	// offerer.
	CEMA bool
	// FileSelector, FileTransferID and FileDisposition describe the file
	// of a file transfer (RFC 5547); FileTransferID is required with a
	// FileSelector.
	FileSelector    *FileSelector
	FileTransferID  string
	FileDisposition string
}

// Offer builds iwf's offer: one MSRP media description on the local
// address and port. It fails with ErrInvalid on a bad configuration.
func Offer(c OfferConfig) (*Session, error) {
	if err := c.Local.Validate(); err != nil {
		return nil, err
	}
	if c.FileSelector != nil && c.FileTransferID == "" {
		return nil, invalid("file transfer offer without file-transfer-id")
	}
	mm := c.Local.msrpMedia()
	mm.Setup = c.Setup
	if mm.Setup == "" {
		mm.Setup = SetupActPass
	}
	if c.Direction != "" {
		mm.Direction = c.Direction
	}
	mm.CEMA = c.CEMA
	mm.FileSelector = c.FileSelector
	mm.FileTransferID = c.FileTransferID
	mm.FileDisposition = c.FileDisposition
	m, err := mm.Media(c.Port)
	if err != nil {
		return nil, err
	}
	return c.Local.session([]Media{m}), nil
}

// AnswerConfig describes how iwf answers incoming MSRP offers.
type AnswerConfig struct {
	Local
}

// Answer builds iwf's answer to offer (RFC 3264 section 6). It accepts
// the first media description that is MSRP over the transport of
// c.TLS, has a port other than 0 and negotiates; every other media
// description is answered with port 0, in the same order. In the accepted
// one:
//
//   - a=setup is passive, so the offerer connects to iwf, unless the
//     offerer is passive, when it is active; holdconn stays holdconn
//     (RFC 6135, RFC 4145 section 4.1). No a=setup in the offer means the
//     RFC 4975 model, in which the offerer connects: passive.
//   - a=accept-types is the local types that match an offered one,
//     narrowed to the more specific of the two ("*" and "text/plain"
//     give "text/plain"); none in common is not acceptable.
//   - a=accept-wrapped-types is negotiated the same way when
//     message/cpim was; an offer without it leaves the local list as is.
//   - the direction is the offer's reversed (sendonly gives recvonly).
//   - a file transfer (a=file-selector) must be one the offerer sends,
//     with an a=file-transfer-id, of no more than MaxSize octets; the
//     answer echoes a=file-selector, a=file-transfer-id and a=file-range.
//   - a=msrp-cema is echoed (RFC 6714).
//
// When no media description can be accepted, Answer fails with an error
// wrapping ErrNotAcceptable and the reason for the first MSRP one; the
// caller answers 488. A bad configuration fails with ErrInvalid.
func Answer(offer *Session, c AnswerConfig) (*Session, error) {
	if err := c.Local.Validate(); err != nil {
		return nil, err
	}
	if offer == nil || len(offer.Media) == 0 {
		return nil, fmt.Errorf("%w: no media description", ErrNotAcceptable)
	}
	media := make([]Media, len(offer.Media))
	accepted := false
	var reason error
	for i := range offer.Media {
		om := &offer.Media[i]
		if !accepted {
			m, err := c.answerMedia(om)
			if err == nil {
				media[i], accepted = m, true
				continue
			}
			if reason == nil && !errors.Is(err, ErrNotMSRP) {
				reason = fmt.Errorf("media %d: %w", i, err)
			}
		}
		media[i] = rejected(om)
	}
	if !accepted {
		if reason == nil {
			reason = errors.New("no MSRP media description")
		}
		return nil, fmt.Errorf("%w: %w", ErrNotAcceptable, reason)
	}
	return c.Local.session(media), nil
}

// rejected answers a media description with port 0 (RFC 3264 section 6).
func rejected(om *Media) Media {
	return Media{Type: om.Type, Port: 0, Proto: om.Proto, Formats: append([]string(nil), om.Formats...)}
}

// answerMedia negotiates one offered media description.
func (c *AnswerConfig) answerMedia(om *Media) (Media, error) {
	offered, err := MSRPMediaOf(om)
	if err != nil {
		return Media{}, err
	}
	if om.Port == 0 {
		return Media{}, errors.New("stream disabled by the offerer (port 0)")
	}
	if offered.TLS != c.TLS {
		return Media{}, fmt.Errorf("transport %s, iwf takes only %s", om.Proto, proto(c.TLS))
	}
	mm := c.Local.msrpMedia()
	mm.Setup = answerSetup(offered.Setup)
	mm.Direction = offered.Direction.Reverse()
	mm.CEMA = offered.CEMA
	if mm.AcceptTypes, err = negotiateTypes(c.AcceptTypes, offered.AcceptTypes); err != nil {
		return Media{}, err
	}
	if mm.AcceptWrappedTypes, err = negotiateWrapped(mm.AcceptTypes, c.AcceptWrappedTypes, offered.AcceptWrappedTypes); err != nil {
		return Media{}, err
	}
	if offered.FileSelector != nil {
		if err := c.acceptFile(&offered); err != nil {
			return Media{}, err
		}
		mm.FileSelector = offered.FileSelector
		mm.FileTransferID = offered.FileTransferID
		mm.FileRange = offered.FileRange
	}
	return mm.Media(c.Port)
}

func proto(tls bool) string {
	if tls {
		return ProtoMSRPS
	}
	return ProtoMSRP
}

// answerSetup applies RFC 4145 section 4.1 with iwf preferring to
// listen, so that an incoming session needs no outgoing connection.
func answerSetup(offered Setup) Setup {
	switch offered {
	case SetupPassive:
		return SetupActive
	case SetupHoldConn:
		return SetupHoldConn
	}
	return SetupPassive
}

// acceptFile applies RFC 5547 to a file transfer offer: iwf receives
// files but holds none to send.
func (c *AnswerConfig) acceptFile(offered *MSRPMedia) error {
	switch {
	case offered.Direction != SendOnly:
		return fmt.Errorf("file transfer with direction %s: iwf only receives files", offered.Direction)
	case offered.FileTransferID == "":
		return errors.New("file transfer without a=file-transfer-id")
	case c.MaxSize > 0 && offered.FileSelector.Size > c.MaxSize:
		return fmt.Errorf("file of %d octets exceeds max-size %d", offered.FileSelector.Size, c.MaxSize)
	}
	return nil
}

// negotiateTypes returns, in local order, the narrower of each local and
// offered type pair that matches; none in common is an error.
func negotiateTypes(local, offered []string) ([]string, error) {
	var out []string
	for _, l := range local {
		for _, o := range offered {
			t, ok := narrower(l, o)
			if ok && !containsFold(out, t) {
				out = append(out, t)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no accept-types in common: offered %q, iwf takes %q", offered, local)
	}
	return out, nil
}

// negotiateWrapped negotiates accept-wrapped-types when the negotiated
// types include message/cpim. If the offer names none, iwf's list stands.
func negotiateWrapped(types, local, offered []string) ([]string, error) {
	if len(local) == 0 || !containsFold(types, "message/cpim") {
		return nil, nil
	}
	if offered == nil {
		return local, nil
	}
	wrapped, err := negotiateTypes(local, offered)
	if err != nil && len(types) == 1 {
		return nil, fmt.Errorf("message/cpim only, and %w", err)
	}
	return wrapped, nil
}

// narrower returns the more specific of two format entries if they match:
// "*" matches anything and "type/*" any subtype of type.
func narrower(a, b string) (string, bool) {
	switch {
	case a == "*":
		return b, true
	case b == "*":
		return a, true
	}
	at, as, _ := strings.Cut(a, "/")
	bt, bs, _ := strings.Cut(b, "/")
	switch {
	case !strings.EqualFold(at, bt):
		return "", false
	case as == "*":
		return b, true
	case bs == "*", strings.EqualFold(as, bs):
		return a, true
	}
	return "", false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
