package mm7

// ReadReplyReq is the ReadReplyReq body element, TS 23.140 8.7.8.1 (MM7_read_reply.REQ): read report of a message a VASP submitted.
type ReadReplyReq struct {
	MM7Version       string   `xml:"MM7Version"`
	MMSRelayServerID string   `xml:"MMSRelayServerID,omitempty"`
	MessageID        string   `xml:"MessageID"`
	Recipient        *Address `xml:"Recipient,omitempty"`
	Sender           *Address `xml:"Sender,omitempty"`
	TimeStamp        string   `xml:"TimeStamp,omitempty"`
	MMStatus         string   `xml:"MMStatus"` // Read, Deleted, Indeterminate
	StatusText       string   `xml:"StatusText,omitempty"`
	ApplicID         string   `xml:"ApplicID,omitempty"`
	ReplyApplicID    string   `xml:"ReplyApplicID,omitempty"`
	AuxApplicInfo    string   `xml:"AuxApplicInfo,omitempty"`
}

// OperationName returns "ReadReplyReq".
func (m *ReadReplyReq) OperationName() string { return "ReadReplyReq" }

// Unmarshal decodes a ReadReplyReq element in any MM7 namespace.
func (m *ReadReplyReq) Unmarshal(b []byte) error { return unmarshalOperation(b, m) }

// Marshal encodes m as a ReadReplyReq element in namespace v.
func (m *ReadReplyReq) Marshal(v Version) ([]byte, error) { return marshalStandalone(m, v) }

func (m *ReadReplyReq) version() *string { return &m.MM7Version }

func (m *ReadReplyReq) content() *ContentRef { return nil }
