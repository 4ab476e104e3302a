package mm7

// DeliveryReportRsp is the DeliveryReportRsp body element, TS 23.140 8.7.7.2 (MM7_delivery_report.RES).
type DeliveryReportRsp struct {
	MM7Version string `xml:"MM7Version"`
	Status     Status `xml:"Status"`
}

// OperationName returns "DeliveryReportRsp".
func (m *DeliveryReportRsp) OperationName() string { return "DeliveryReportRsp" }

// Unmarshal decodes a DeliveryReportRsp element in any MM7 namespace.
func (m *DeliveryReportRsp) Unmarshal(b []byte) error { return unmarshalOperation(b, m) }

// Marshal encodes m as a DeliveryReportRsp element in namespace v.
func (m *DeliveryReportRsp) Marshal(v Version) ([]byte, error) { return marshalStandalone(m, v) }

func (m *DeliveryReportRsp) version() *string { return &m.MM7Version }

func (m *DeliveryReportRsp) content() *ContentRef { return nil }
