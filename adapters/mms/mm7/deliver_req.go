package mm7

// DeliverReq is the DeliverReq body element, TS 23.140 8.7.4.1 (MM7_deliver.REQ): the relay delivers a message to a VASP. VASPID and VASID are accepted where some relays put them.
type DeliverReq struct {
	MM7Version       string          `xml:"MM7Version"`
	VASPID           string          `xml:"VASPID,omitempty"`
	VASID            string          `xml:"VASID,omitempty"`
	MMSRelayServerID string          `xml:"MMSRelayServerID,omitempty"`
	LinkedID         string          `xml:"LinkedID,omitempty"`
	Sender           *Address        `xml:"Sender,omitempty"`
	Recipients       *Recipients     `xml:"Recipients,omitempty"`
	TimeStamp        string          `xml:"TimeStamp,omitempty"`
	ReplyChargingID  string          `xml:"ReplyChargingID,omitempty"`
	Priority         string          `xml:"Priority,omitempty"`
	Subject          string          `xml:"Subject,omitempty"`
	ApplicID         string          `xml:"ApplicID,omitempty"`
	ReplyApplicID    string          `xml:"ReplyApplicID,omitempty"`
	AuxApplicInfo    string          `xml:"AuxApplicInfo,omitempty"`
	UACapabilities   *UACapabilities `xml:"UACapabilities,omitempty"`
	Content          *ContentRef     `xml:"Content,omitempty"`
}

// OperationName returns "DeliverReq".
func (m *DeliverReq) OperationName() string { return "DeliverReq" }

// Unmarshal decodes a DeliverReq element in any MM7 namespace.
func (m *DeliverReq) Unmarshal(b []byte) error { return unmarshalOperation(b, m) }

// Marshal encodes m as a DeliverReq element in namespace v.
func (m *DeliverReq) Marshal(v Version) ([]byte, error) { return marshalStandalone(m, v) }

func (m *DeliverReq) version() *string { return &m.MM7Version }

func (m *DeliverReq) content() *ContentRef { return m.Content }

// UACapabilities describes the recipient's terminal (REL-6): its UAProf
// URL and when that was last known.
type UACapabilities struct {
	UAProf    string `xml:"UAProf,attr,omitempty"`
	TimeStamp string `xml:"TimeStamp,attr,omitempty"`
}
