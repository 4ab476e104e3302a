package mm7

// VASPErrorRsp is the VASPErrorRsp body element, TS 23.140 8.7.9 (MM7_VASP_error.RES): the VASP refuses a request; carried as the detail of a SOAP Fault.
type VASPErrorRsp struct {
	MM7Version string `xml:"MM7Version"`
	Status     Status `xml:"Status"`
	Fault      Fault  `xml:"-"` // the SOAP Fault around it
}

// OperationName returns "VASPErrorRsp".
func (m *VASPErrorRsp) OperationName() string { return "VASPErrorRsp" }

// Unmarshal decodes a VASPErrorRsp element in any MM7 namespace.
func (m *VASPErrorRsp) Unmarshal(b []byte) error { return unmarshalOperation(b, m) }

// Marshal encodes m as a VASPErrorRsp element in namespace v.
func (m *VASPErrorRsp) Marshal(v Version) ([]byte, error) { return marshalStandalone(m, v) }

func (m *VASPErrorRsp) version() *string { return &m.MM7Version }

func (m *VASPErrorRsp) content() *ContentRef { return nil }
