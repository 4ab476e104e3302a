package pdu

import "fmt"

// CommandID is an SMPP command_id (SMPP 3.4 section 5.1.2.1).
type CommandID uint32

// Command identifiers.
const (
	GenericNack         CommandID = 0x80000000
	BindReceiver        CommandID = 0x00000001
	BindReceiverResp    CommandID = 0x80000001
	BindTransmitter     CommandID = 0x00000002
	BindTransmitterResp CommandID = 0x80000002
	QuerySM             CommandID = 0x00000003
	QuerySMResp         CommandID = 0x80000003
	SubmitSM            CommandID = 0x00000004
	SubmitSMResp        CommandID = 0x80000004
	DeliverSM           CommandID = 0x00000005
	DeliverSMResp       CommandID = 0x80000005
	Unbind              CommandID = 0x00000006
	UnbindResp          CommandID = 0x80000006
	ReplaceSM           CommandID = 0x00000007
	ReplaceSMResp       CommandID = 0x80000007
	CancelSM            CommandID = 0x00000008
	CancelSMResp        CommandID = 0x80000008
	BindTransceiver     CommandID = 0x00000009
	BindTransceiverResp CommandID = 0x80000009
	Outbind             CommandID = 0x0000000B
	EnquireLink         CommandID = 0x00000015
	EnquireLinkResp     CommandID = 0x80000015
	SubmitMulti         CommandID = 0x00000021
	SubmitMultiResp     CommandID = 0x80000021
	AlertNotification   CommandID = 0x00000102
	DataSM              CommandID = 0x00000103
	DataSMResp          CommandID = 0x80000103
)

// Kind is how a mandatory field is laid out on the wire.
type Kind uint8

// Field kinds.
const (
	KindUint8        Kind = iota + 1 // one octet integer
	KindCString                      // NUL-terminated octets, at most FieldSpec.Max octets with the NUL
	KindShortMessage                 // sm_length octet followed by that many octets
)

// FieldSpec describes one mandatory field of a command.
type FieldSpec struct {
	Name string // the SMPP 3.4 name, e.g. "destination_addr"
	Kind Kind
	Max  int // KindCString: maximum size including the NUL
}

type command struct {
	name   string
	fields []FieldSpec
	known  bool // mandatory fields are modelled (false for submit_multi)
}

func u8(name string) FieldSpec            { return FieldSpec{Name: name, Kind: KindUint8} }
func cstr(name string, max int) FieldSpec { return FieldSpec{Name: name, Kind: KindCString, Max: max} }

// Address fields accept 65 octets (the SMPP 5.0 maximum) so that SMSCs
// which exceed the 3.4 limit of 21 are still understood.
const addrMax = 65

var (
	bindFields = []FieldSpec{
		cstr("system_id", 16), cstr("password", 9), cstr("system_type", 13),
		u8("interface_version"), u8("addr_ton"), u8("addr_npi"), cstr("address_range", 41),
	}
	systemIDFields  = []FieldSpec{cstr("system_id", 16)}
	messageIDFields = []FieldSpec{cstr("message_id", 65)}
	smFields        = []FieldSpec{
		cstr("service_type", 6),
		u8("source_addr_ton"), u8("source_addr_npi"), cstr("source_addr", addrMax),
		u8("dest_addr_ton"), u8("dest_addr_npi"), cstr("destination_addr", addrMax),
		u8("esm_class"), u8("protocol_id"), u8("priority_flag"),
		cstr("schedule_delivery_time", 17), cstr("validity_period", 17),
		u8("registered_delivery"), u8("replace_if_present_flag"),
		u8("data_coding"), u8("sm_default_msg_id"),
		{Name: "short_message", Kind: KindShortMessage},
	}
)

// commands is read-only after package initialisation.
var commands = map[CommandID]command{
	GenericNack:         {name: "generic_nack", known: true},
	BindReceiver:        {name: "bind_receiver", fields: bindFields, known: true},
	BindReceiverResp:    {name: "bind_receiver_resp", fields: systemIDFields, known: true},
	BindTransmitter:     {name: "bind_transmitter", fields: bindFields, known: true},
	BindTransmitterResp: {name: "bind_transmitter_resp", fields: systemIDFields, known: true},
	BindTransceiver:     {name: "bind_transceiver", fields: bindFields, known: true},
	BindTransceiverResp: {name: "bind_transceiver_resp", fields: systemIDFields, known: true},
	Outbind:             {name: "outbind", fields: []FieldSpec{cstr("system_id", 16), cstr("password", 9)}, known: true},
	QuerySM: {name: "query_sm", known: true, fields: []FieldSpec{
		cstr("message_id", 65), u8("source_addr_ton"), u8("source_addr_npi"), cstr("source_addr", addrMax)}},
	QuerySMResp: {name: "query_sm_resp", known: true, fields: []FieldSpec{
		cstr("message_id", 65), cstr("final_date", 17), u8("message_state"), u8("error_code")}},
	SubmitSM:      {name: "submit_sm", fields: smFields, known: true},
	SubmitSMResp:  {name: "submit_sm_resp", fields: messageIDFields, known: true},
	DeliverSM:     {name: "deliver_sm", fields: smFields, known: true},
	DeliverSMResp: {name: "deliver_sm_resp", fields: messageIDFields, known: true},
	Unbind:        {name: "unbind", known: true},
	UnbindResp:    {name: "unbind_resp", known: true},
	ReplaceSM: {name: "replace_sm", known: true, fields: []FieldSpec{
		cstr("message_id", 65), u8("source_addr_ton"), u8("source_addr_npi"), cstr("source_addr", addrMax),
		cstr("schedule_delivery_time", 17), cstr("validity_period", 17), u8("registered_delivery"),
		u8("sm_default_msg_id"), {Name: "short_message", Kind: KindShortMessage}}},
	ReplaceSMResp: {name: "replace_sm_resp", known: true},
	CancelSM: {name: "cancel_sm", known: true, fields: []FieldSpec{
		cstr("service_type", 6), cstr("message_id", 65),
		u8("source_addr_ton"), u8("source_addr_npi"), cstr("source_addr", addrMax),
		u8("dest_addr_ton"), u8("dest_addr_npi"), cstr("destination_addr", addrMax)}},
	CancelSMResp:    {name: "cancel_sm_resp", known: true},
	EnquireLink:     {name: "enquire_link", known: true},
	EnquireLinkResp: {name: "enquire_link_resp", known: true},
	SubmitMulti:     {name: "submit_multi"},
	SubmitMultiResp: {name: "submit_multi_resp"},
	AlertNotification: {name: "alert_notification", known: true, fields: []FieldSpec{
		u8("source_addr_ton"), u8("source_addr_npi"), cstr("source_addr", addrMax),
		u8("esme_addr_ton"), u8("esme_addr_npi"), cstr("esme_addr", addrMax)}},
	DataSM: {name: "data_sm", known: true, fields: []FieldSpec{
		cstr("service_type", 6),
		u8("source_addr_ton"), u8("source_addr_npi"), cstr("source_addr", addrMax),
		u8("dest_addr_ton"), u8("dest_addr_npi"), cstr("destination_addr", addrMax),
		u8("esm_class"), u8("registered_delivery"), u8("data_coding")}},
	DataSMResp: {name: "data_sm_resp", fields: messageIDFields, known: true},
}

// String returns the SMPP name of the command ("submit_sm"), or
// "command_0x%08x" for an unknown one.
func (id CommandID) String() string {
	if c, ok := commands[id]; ok {
		return c.name
	}
	return fmt.Sprintf("command_0x%08x", uint32(id))
}

// Known reports whether id is an SMPP 3.4 command.
func (id CommandID) Known() bool {
	_, ok := commands[id]
	return ok
}

// IsResponse reports whether id is a response (high bit set).
func (id CommandID) IsResponse() bool { return id&0x80000000 != 0 }

// Fields returns the mandatory fields of the command in wire order, and
// false when the command is unknown or its body is not modelled
// (submit_multi and its response: the body is kept raw).
func (id CommandID) Fields() ([]FieldSpec, bool) {
	c, ok := commands[id]
	if !ok || !c.known {
		return nil, false
	}
	return c.fields, true
}
