package mm7

// DeliverRsp is the DeliverRsp body element, TS 23.140 8.7.4.2 (MM7_deliver.RES): the VASP's answer to a DeliverReq.
type DeliverRsp struct {
	MM7Version  string `xml:"MM7Version"`
	Status      Status `xml:"Status"`
	ServiceCode string `xml:"ServiceCode,omitempty"`
}

// OperationName returns "DeliverRsp".
func (m *DeliverRsp) OperationName() string { return "DeliverRsp" }

// Unmarshal decodes a DeliverRsp element in any MM7 namespace.
func (m *DeliverRsp) Unmarshal(b []byte) error { return unmarshalOperation(b, m) }

// Marshal encodes m as a DeliverRsp element in namespace v.
func (m *DeliverRsp) Marshal(v Version) ([]byte, error) { return marshalStandalone(m, v) }

func (m *DeliverRsp) version() *string { return &m.MM7Version }

func (m *DeliverRsp) content() *ContentRef { return nil }
