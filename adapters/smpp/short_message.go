package smpp

import "time"

// Address is an SMPP address with its type of number and numbering plan
// (SMPP 3.4 section 5.2.5 and 5.2.6).
type Address struct {
	Addr string
	TON  uint8 // 0 unknown, 1 international, 2 national, 3 network specific, 5 alphanumeric, 6 abbreviated
	NPI  uint8 // 0 unknown, 1 ISDN (E.164), ...
}

// TLV is an optional parameter (SMPP 3.4 section 5.3).
type TLV struct {
	Tag   uint16
	Value []byte
}

// Optional parameter tags iwf reads or writes (SMPP 3.4 section 5.3.2).
const (
	TagReceiptedMessageID uint16 = 0x001E
	TagMessageState       uint16 = 0x0427
	TagSARMsgRefNum       uint16 = 0x020C
	TagSARTotalSegments   uint16 = 0x020E
	TagSARSegmentSeqnum   uint16 = 0x020F
	TagMessagePayload     uint16 = 0x0424
	TagNetworkErrorCode   uint16 = 0x0423
)

// ESM class bits (SMPP 3.4 section 5.2.12).
const (
	ESMClassUDHI            uint8 = 0x40 // short_message starts with a user data header
	ESMClassDeliveryReceipt uint8 = 0x04 // deliver_sm carries an SMSC delivery receipt
	ESMClassTypeMask        uint8 = 0x3C
)

// ShortMessage is the body of one submit_sm (toward the SMSC) or deliver_sm
// (from it): one SMS segment, a delivery receipt, or a whole message in
// message_payload.
type ShortMessage struct {
	ServiceType        string
	Source             Address
	Dest               Address
	ESMClass           uint8
	ProtocolID         uint8
	PriorityFlag       uint8
	RegisteredDelivery uint8         // 1: receipt on success and failure
	Validity           time.Duration // 0: the SMSC default; sent as a relative time
	DataCoding         uint8
	Message            []byte // short_message, user data header included when ESMClass has UDHI
	TLVs               []TLV
}

// TLV returns the value of the first optional parameter with the tag.
func (sm *ShortMessage) TLV(tag uint16) ([]byte, bool) {
	for _, t := range sm.TLVs {
		if t.Tag == tag {
			return t.Value, true
		}
	}
	return nil, false
}
