package mm7

// ReplaceRsp is the ReplaceRsp body element, TS 23.140 8.7.6.2 (MM7_replace.RES).
type ReplaceRsp struct {
	MM7Version string `xml:"MM7Version"`
	Status     Status `xml:"Status"`
}

// OperationName returns "ReplaceRsp".
func (m *ReplaceRsp) OperationName() string { return "ReplaceRsp" }

// Unmarshal decodes a ReplaceRsp element in any MM7 namespace.
func (m *ReplaceRsp) Unmarshal(b []byte) error { return unmarshalOperation(b, m) }

// Marshal encodes m as a ReplaceRsp element in namespace v.
func (m *ReplaceRsp) Marshal(v Version) ([]byte, error) { return marshalStandalone(m, v) }

func (m *ReplaceRsp) version() *string { return &m.MM7Version }

func (m *ReplaceRsp) content() *ContentRef { return nil }
