package mm7

// CancelReq is the CancelReq body element, TS 23.140 8.7.5.1 (MM7_cancel.REQ): a VASP cancels a message it submitted.
type CancelReq struct {
	MM7Version           string               `xml:"MM7Version"`
	SenderIdentification SenderIdentification `xml:"SenderIdentification"`
	MessageID            string               `xml:"MessageID"`
}

// OperationName returns "CancelReq".
func (m *CancelReq) OperationName() string { return "CancelReq" }

// Unmarshal decodes a CancelReq element in any MM7 namespace.
func (m *CancelReq) Unmarshal(b []byte) error { return unmarshalOperation(b, m) }

// Marshal encodes m as a CancelReq element in namespace v.
func (m *CancelReq) Marshal(v Version) ([]byte, error) { return marshalStandalone(m, v) }

func (m *CancelReq) version() *string { return &m.MM7Version }

func (m *CancelReq) content() *ContentRef { return nil }
