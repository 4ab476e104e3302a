package mm7

// SubmitReq is the SubmitReq body element, TS 23.140 8.7.3.1 (MM7_submit.REQ): a VASP submits a multimedia message.
type SubmitReq struct {
	MM7Version            string               `xml:"MM7Version"`
	SenderIdentification  SenderIdentification `xml:"SenderIdentification"`
	Recipients            *Recipients          `xml:"Recipients,omitempty"`
	ServiceCode           string               `xml:"ServiceCode,omitempty"`
	LinkedID              string               `xml:"LinkedID,omitempty"`
	MessageClass          string               `xml:"MessageClass,omitempty"` // Personal, Informational, Advertisement, Auto
	TimeStamp             string               `xml:"TimeStamp,omitempty"`    // xs:dateTime, kept as sent
	ReplyCharging         *ReplyCharging       `xml:"ReplyCharging,omitempty"`
	EarliestDeliveryTime  string               `xml:"EarliestDeliveryTime,omitempty"`
	ExpiryDate            string               `xml:"ExpiryDate,omitempty"`
	DeliveryReport        *bool                `xml:"DeliveryReport,omitempty"`
	ReadReply             *bool                `xml:"ReadReply,omitempty"`
	Priority              string               `xml:"Priority,omitempty"` // High, Normal, Low
	Subject               string               `xml:"Subject,omitempty"`
	ChargedParty          string               `xml:"ChargedParty,omitempty"`
	ChargedPartyID        string               `xml:"ChargedPartyID,omitempty"`
	DistributionIndicator *bool                `xml:"DistributionIndicator,omitempty"`
	ApplicID              string               `xml:"ApplicID,omitempty"`
	ReplyApplicID         string               `xml:"ReplyApplicID,omitempty"`
	AuxApplicInfo         string               `xml:"AuxApplicInfo,omitempty"`
	ContentClass          string               `xml:"ContentClass,omitempty"`
	DRMContent            *bool                `xml:"DRMContent,omitempty"`
	Content               *ContentRef          `xml:"Content,omitempty"`
}

// OperationName returns "SubmitReq".
func (m *SubmitReq) OperationName() string { return "SubmitReq" }

// Unmarshal decodes a SubmitReq element in any MM7 namespace.
func (m *SubmitReq) Unmarshal(b []byte) error { return unmarshalOperation(b, m) }

// Marshal encodes m as a SubmitReq element in namespace v.
func (m *SubmitReq) Marshal(v Version) ([]byte, error) { return marshalStandalone(m, v) }

func (m *SubmitReq) version() *string { return &m.MM7Version }

func (m *SubmitReq) content() *ContentRef { return m.Content }

// ReplyCharging is the ReplyCharging element of SubmitReq.
type ReplyCharging struct {
	ReplyChargingSize string `xml:"replyChargingSize,attr,omitempty"`
	ReplyDeadline     string `xml:"replyDeadline,attr,omitempty"`
}
