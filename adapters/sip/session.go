package sip

import (
	"context"
	"net/netip"

	"github.com/iwf-gateway/iwf/adapters/sip/sdp"
)

// SessionKind is the CPM service a session carries. An incoming
// session's kind comes from the feature tags of its INVITE
// (Accept-Contact and Contact, RFC 3840/3841) and from its SDP (a
// file-selector makes a file transfer); an outgoing session's kind
// chooses the feature tag iwf sends.
type SessionKind int

// Session kinds.
const (
	// KindChat is a CPM chat session (ICSI oma.cpm.session): messages
	// both ways until one side sends BYE. It is also the kind of an
	// INVITE that names no CPM service.
	KindChat SessionKind = iota + 1
	// KindLargeMessage is a CPM standalone message in large message mode
	// (ICSI oma.cpm.largemsg, OMA CPM / 3GPP TS 24.247): the offerer
	// sends one message, then BYE.
	KindLargeMessage
	// KindFileTransfer is a file transfer (RFC 5547; ICSI
	// oma.cpm.filetransfer, or the RCS IARI rcse.ft).
	KindFileTransfer
)

// String returns "chat", "large-message" or "file-transfer".
func (k SessionKind) String() string {
	switch k {
	case KindChat:
		return "chat"
	case KindLargeMessage:
		return "large-message"
	case KindFileTransfer:
		return "file-transfer"
	}
	return "unknown"
}

// SessionMessage is one whole message of a session: what a
// MessageHandler receives, reassembled from its MSRP chunks, and what
// Send sends, chunked.
type SessionMessage struct {
	// MessageID is the MSRP Message-ID. Send makes a random one when it
	// is empty and sets it here.
	MessageID string
	// ContentType is the media type of Body, e.g. "message/cpim".
	ContentType string
	// Body is the whole message.
	Body []byte
	// SuccessReport, on Send, asks the peer for an MSRP success REPORT
	// and makes Send wait for it. On a received message it tells that
	// the peer asked for one; iwf sends it after the MessageHandler
	// returned nil.
	SuccessReport bool
}

// MessageHandler receives each complete message of a session, one at a
// time, in the order they completed. It returns nil once the message
// is safe (journaled): only then does iwf answer the last chunk 200 and
// send the success REPORT the sender asked for, so "accepted means
// durable". A *StatusError with a code MSRP shares with SIP (400, 403,
// 413, 415) is answered with that MSRP code; any other error is
// answered 500, which the sender may retry. ctx ends when the session
// ends. m.Body belongs to the handler. A handler must not wait for a
// Send on its own session, and a panic is answered 500.
type MessageHandler func(ctx context.Context, m *SessionMessage) error

// SessionHandler decides on an incoming session: an INVITE from a
// trusted peer carrying an MSRP offer iwf can answer. It returns the
// MessageHandler for the session's messages to accept it (iwf answers
// 200 with its SDP), or a *StatusError to refuse it with that status
// (486, 488, 403, 404, 480, 503, ...); any other error, or a nil
// MessageHandler, is answered 500. ctx ends when the INVITE is
// cancelled or the endpoint closes. A panic is answered 500.
type SessionHandler func(ctx context.Context, s *IncomingSession) (MessageHandler, error)

// IncomingSession is a session a CPM peer opened toward iwf. Its fields
// describe the INVITE; URIs are as they stood in the headers, without
// display names or angle brackets. Its methods work once the
// SessionHandler has accepted it, and are safe for concurrent use.
type IncomingSession struct {
	CallID            string
	RequestURI        string
	From              string
	To                string
	PAssertedIdentity string // empty when absent
	ConversationID    string // CPM Conversation-ID header, when present
	ContributionID    string // CPM Contribution-ID header, when present
	Kind              SessionKind
	// AcceptTypes and AcceptWrappedTypes are what the peer receives
	// (its a=accept-types and a=accept-wrapped-types).
	AcceptTypes        []string
	AcceptWrappedTypes []string
	// MaxSize is the largest message the peer receives (its
	// a=max-size); 0 when it set none.
	MaxSize int64
	// FileSelector and FileTransferID describe the file of a file
	// transfer (RFC 5547); nil and "" otherwise.
	FileSelector   *sdp.FileSelector
	FileTransferID string
	Source         netip.AddrPort

	s *session
}

// Send sends m to the peer over MSRP, chunked, and returns once every
// chunk was answered 200 (and the success REPORT came, when m asks for
// one). iwf listens for the peer's MSRP connection, so Send first waits
// for the peer to connect. Errors are *MediaError, or ErrSessionEnded
// once the session is over.
func (in *IncomingSession) Send(ctx context.Context, m *SessionMessage) error {
	return in.s.send(ctx, m)
}

// End ends the session: iwf sends BYE, waits for its answer (bounded by
// ctx and Config.TransactionTimeout) and closes the MSRP session. Called
// before the SessionHandler returned, it makes iwf answer the INVITE 487
// instead. It is idempotent; once the session has ended it returns nil.
func (in *IncomingSession) End(ctx context.Context) error {
	return in.s.hangUp(ctx, ErrSessionEnded)
}

// Done returns a channel closed when the session has ended.
func (in *IncomingSession) Done() <-chan struct{} { return in.s.done }

// Err returns nil while the session lasts, then why it ended:
// ErrSessionEnded (End, or iwf's BYE after a large message),
// ErrEndedByPeer, ErrSessionExpired, ErrNoAck, ErrClosed, or an error
// wrapping ErrMediaEnded.
func (in *IncomingSession) Err() error { return in.s.cause() }

// OutgoingSession is a session iwf opens toward a CPM user through the
// outbound proxy.
type OutgoingSession struct {
	RequestURI        string // the CPM user
	From              string // the legacy sender as sip:+E164@domain;user=phone
	To                string // default RequestURI
	PAssertedIdentity string // default From
	Kind              SessionKind
	ConversationID    string
	ContributionID    string
	// AcceptTypes and AcceptWrappedTypes are what iwf receives in the
	// session; default Config.MSRPAcceptTypes and
	// Config.MSRPAcceptWrappedTypes.
	AcceptTypes        []string
	AcceptWrappedTypes []string
	// FileSelector describes the file iwf pushes in a file transfer;
	// FileTransferID identifies it (random when empty).
	FileSelector   *sdp.FileSelector
	FileTransferID string
	// Handler receives the messages the peer sends in the session (a
	// chat's replies); nil refuses them with MSRP 403.
	Handler MessageHandler
}

// OutSession is a session iwf opened with OpenSession. Its methods are
// safe for concurrent use.
type OutSession struct {
	callID string
	s      *session
}

// CallID returns the Call-ID of the session's dialog.
func (o *OutSession) CallID() string { return o.callID }

// Send sends m to the peer over MSRP, chunked at Config.MSRPChunkSize
// with back-pressure, and returns once every chunk was answered 200
// (and the success REPORT came, when m asks for one). A message larger
// than the peer's a=max-size fails at once with ErrMessageTooLarge.
// Other errors are *MediaError, or ErrSessionEnded once the session is
// over.
func (o *OutSession) Send(ctx context.Context, m *SessionMessage) error {
	return o.s.send(ctx, m)
}

// Close ends the session: iwf sends BYE, waits for its answer (bounded
// by ctx and Config.TransactionTimeout) and closes the MSRP session. It
// is idempotent; once the session has ended it returns nil.
func (o *OutSession) Close(ctx context.Context) error {
	return o.s.hangUp(ctx, ErrSessionEnded)
}

// Done returns a channel closed when the session has ended.
func (o *OutSession) Done() <-chan struct{} { return o.s.done }

// Err returns nil while the session lasts, then why it ended, as
// IncomingSession.Err does.
func (o *OutSession) Err() error { return o.s.cause() }
