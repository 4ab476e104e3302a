package mm7

// CancelRsp is the CancelRsp body element, TS 23.140 8.7.5.2 (MM7_cancel.RES).
type CancelRsp struct {
	MM7Version string `xml:"MM7Version"`
	Status     Status `xml:"Status"`
}

// OperationName returns "CancelRsp".
func (m *CancelRsp) OperationName() string { return "CancelRsp" }

// Unmarshal decodes a CancelRsp element in any MM7 namespace.
func (m *CancelRsp) Unmarshal(b []byte) error { return unmarshalOperation(b, m) }

// Marshal encodes m as a CancelRsp element in namespace v.
func (m *CancelRsp) Marshal(v Version) ([]byte, error) { return marshalStandalone(m, v) }

func (m *CancelRsp) version() *string { return &m.MM7Version }

func (m *CancelRsp) content() *ContentRef { return nil }
