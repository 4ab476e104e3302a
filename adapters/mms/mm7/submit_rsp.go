package mm7

// SubmitRsp is the SubmitRsp body element, TS 23.140 8.7.3.2 (MM7_submit.RES): the relay's answer, with the MessageID it assigned.
type SubmitRsp struct {
	MM7Version string `xml:"MM7Version"`
	Status     Status `xml:"Status"`
	MessageID  string `xml:"MessageID,omitempty"`
}

// OperationName returns "SubmitRsp".
func (m *SubmitRsp) OperationName() string { return "SubmitRsp" }

// Unmarshal decodes a SubmitRsp element in any MM7 namespace.
func (m *SubmitRsp) Unmarshal(b []byte) error { return unmarshalOperation(b, m) }

// Marshal encodes m as a SubmitRsp element in namespace v.
func (m *SubmitRsp) Marshal(v Version) ([]byte, error) { return marshalStandalone(m, v) }

func (m *SubmitRsp) version() *string { return &m.MM7Version }

func (m *SubmitRsp) content() *ContentRef { return nil }
