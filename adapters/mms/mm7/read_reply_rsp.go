package mm7

// ReadReplyRsp is the ReadReplyRsp body element, TS 23.140 8.7.8.2 (MM7_read_reply.RES).
type ReadReplyRsp struct {
	MM7Version string `xml:"MM7Version"`
	Status     Status `xml:"Status"`
}

// OperationName returns "ReadReplyRsp".
func (m *ReadReplyRsp) OperationName() string { return "ReadReplyRsp" }

// Unmarshal decodes a ReadReplyRsp element in any MM7 namespace.
func (m *ReadReplyRsp) Unmarshal(b []byte) error { return unmarshalOperation(b, m) }

// Marshal encodes m as a ReadReplyRsp element in namespace v.
func (m *ReadReplyRsp) Marshal(v Version) ([]byte, error) { return marshalStandalone(m, v) }

func (m *ReadReplyRsp) version() *string { return &m.MM7Version }

func (m *ReadReplyRsp) content() *ContentRef { return nil }
