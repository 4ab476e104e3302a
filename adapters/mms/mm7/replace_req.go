package mm7

// ReplaceReq is the ReplaceReq body element, TS 23.140 8.7.6.1 (MM7_replace.REQ): a VASP replaces a message it submitted.
type ReplaceReq struct {
	MM7Version            string               `xml:"MM7Version"`
	SenderIdentification  SenderIdentification `xml:"SenderIdentification"`
	MessageID             string               `xml:"MessageID"`
	ServiceCode           string               `xml:"ServiceCode,omitempty"`
	TimeStamp             string               `xml:"TimeStamp,omitempty"`
	ReadReply             *bool                `xml:"ReadReply,omitempty"`
	EarliestDeliveryTime  string               `xml:"EarliestDeliveryTime,omitempty"`
	DistributionIndicator *bool                `xml:"DistributionIndicator,omitempty"`
	ContentClass          string               `xml:"ContentClass,omitempty"`
	DRMContent            *bool                `xml:"DRMContent,omitempty"`
	Content               *ContentRef          `xml:"Content,omitempty"`
}

// OperationName returns "ReplaceReq".
func (m *ReplaceReq) OperationName() string { return "ReplaceReq" }

// Unmarshal decodes a ReplaceReq element in any MM7 namespace.
func (m *ReplaceReq) Unmarshal(b []byte) error { return unmarshalOperation(b, m) }

// Marshal encodes m as a ReplaceReq element in namespace v.
func (m *ReplaceReq) Marshal(v Version) ([]byte, error) { return marshalStandalone(m, v) }

func (m *ReplaceReq) version() *string { return &m.MM7Version }

func (m *ReplaceReq) content() *ContentRef { return m.Content }
