package mm7

// DeliveryReportReq is the DeliveryReportReq body element, TS 23.140 8.7.7.1 (MM7_delivery_report.REQ): delivery status of a message a VASP submitted.
type DeliveryReportReq struct {
	MM7Version        string          `xml:"MM7Version"`
	MMSRelayServerID  string          `xml:"MMSRelayServerID,omitempty"`
	MessageID         string          `xml:"MessageID"`
	Recipient         *Address        `xml:"Recipient,omitempty"`
	Sender            *Address        `xml:"Sender,omitempty"`
	Date              string          `xml:"Date,omitempty"`
	MMStatus          string          `xml:"MMStatus"` // Expired, Retrieved, Rejected, Indeterminate, Forwarded, Unrecognised, Deferred
	MMStatusExtension string          `xml:"MMStatusExtension,omitempty"`
	StatusText        string          `xml:"StatusText,omitempty"`
	ApplicID          string          `xml:"ApplicID,omitempty"`
	ReplyApplicID     string          `xml:"ReplyApplicID,omitempty"`
	AuxApplicInfo     string          `xml:"AuxApplicInfo,omitempty"`
	UACapabilities    *UACapabilities `xml:"UACapabilities,omitempty"`
}

// OperationName returns "DeliveryReportReq".
func (m *DeliveryReportReq) OperationName() string { return "DeliveryReportReq" }

// Unmarshal decodes a DeliveryReportReq element in any MM7 namespace.
func (m *DeliveryReportReq) Unmarshal(b []byte) error { return unmarshalOperation(b, m) }

// Marshal encodes m as a DeliveryReportReq element in namespace v.
func (m *DeliveryReportReq) Marshal(v Version) ([]byte, error) { return marshalStandalone(m, v) }

func (m *DeliveryReportReq) version() *string { return &m.MM7Version }

func (m *DeliveryReportReq) content() *ContentRef { return nil }
