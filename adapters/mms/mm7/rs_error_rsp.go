package mm7

// RSErrorRsp is the RSErrorRsp body element, TS 23.140 8.7.9 (MM7_RS_error.RES): the relay refuses a request; carried as the detail of a SOAP Fault.
type RSErrorRsp struct {
	MM7Version string `xml:"MM7Version"`
	Status     Status `xml:"Status"`
	Fault      Fault  `xml:"-"` // the SOAP Fault around it
}

// OperationName returns "RSErrorRsp".
func (m *RSErrorRsp) OperationName() string { return "RSErrorRsp" }

// Unmarshal decodes a RSErrorRsp element in any MM7 namespace.
func (m *RSErrorRsp) Unmarshal(b []byte) error { return unmarshalOperation(b, m) }

// Marshal encodes m as a RSErrorRsp element in namespace v.
func (m *RSErrorRsp) Marshal(v Version) ([]byte, error) { return marshalStandalone(m, v) }

func (m *RSErrorRsp) version() *string { return &m.MM7Version }

func (m *RSErrorRsp) content() *ContentRef { return nil }

// Fault is the SOAP 1.1 Fault wrapping an RSErrorRsp or VASPErrorRsp.
// Code is the local part of faultcode ("Client", "Server"); it is written
// qualified with the envelope prefix.
type Fault struct {
	Code   string
	String string
}
