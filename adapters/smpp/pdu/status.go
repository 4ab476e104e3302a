package pdu

import "fmt"

// Command status values iwf branches on (SMPP 3.4 section 5.1.3).
const (
	StatusOK         uint32 = 0x00000000
	StatusInvMsgLen  uint32 = 0x00000001
	StatusInvCmdLen  uint32 = 0x00000002
	StatusInvCmdID   uint32 = 0x00000003
	StatusInvBndSts  uint32 = 0x00000004
	StatusAlyBnd     uint32 = 0x00000005
	StatusSysErr     uint32 = 0x00000008
	StatusBindFail   uint32 = 0x0000000D
	StatusInvPaswd   uint32 = 0x0000000E
	StatusInvSysID   uint32 = 0x0000000F
	StatusMsgQFul    uint32 = 0x00000014
	StatusThrottled  uint32 = 0x00000058
	StatusRxTAppn    uint32 = 0x00000064
	StatusRxPAppn    uint32 = 0x00000065
	StatusRxRAppn    uint32 = 0x00000066
	StatusUnknownErr uint32 = 0x000000FF
)

// statusNames is read-only after package initialisation.
var statusNames = map[uint32]string{
	0x00: "ESME_ROK", 0x01: "ESME_RINVMSGLEN", 0x02: "ESME_RINVCMDLEN", 0x03: "ESME_RINVCMDID",
	0x04: "ESME_RINVBNDSTS", 0x05: "ESME_RALYBND", 0x06: "ESME_RINVPRTFLG", 0x07: "ESME_RINVREGDLVFLG",
	0x08: "ESME_RSYSERR", 0x0A: "ESME_RINVSRCADR", 0x0B: "ESME_RINVDSTADR", 0x0C: "ESME_RINVMSGID",
	0x0D: "ESME_RBINDFAIL", 0x0E: "ESME_RINVPASWD", 0x0F: "ESME_RINVSYSID", 0x11: "ESME_RCANCELFAIL",
	0x13: "ESME_RREPLACEFAIL", 0x14: "ESME_RMSGQFUL", 0x15: "ESME_RINVSERTYP", 0x33: "ESME_RINVNUMDESTS",
	0x34: "ESME_RINVDLNAME", 0x40: "ESME_RINVDESTFLAG", 0x42: "ESME_RINVSUBREP", 0x43: "ESME_RINVESMCLASS",
	0x44: "ESME_RCNTSUBDL", 0x45: "ESME_RSUBMITFAIL", 0x48: "ESME_RINVSRCTON", 0x49: "ESME_RINVSRCNPI",
	0x50: "ESME_RINVDSTTON", 0x51: "ESME_RINVDSTNPI", 0x53: "ESME_RINVSYSTYP", 0x54: "ESME_RINVREPFLAG",
	0x55: "ESME_RINVNUMMSGS", 0x58: "ESME_RTHROTTLED", 0x61: "ESME_RINVSCHED", 0x62: "ESME_RINVEXPIRY",
	0x63: "ESME_RINVDFTMSGID", 0x64: "ESME_RX_T_APPN", 0x65: "ESME_RX_P_APPN", 0x66: "ESME_RX_R_APPN",
	0x67: "ESME_RQUERYFAIL", 0xC0: "ESME_RINVOPTPARSTREAM", 0xC1: "ESME_ROPTPARNOTALLWD",
	0xC2: "ESME_RINVPARLEN", 0xC3: "ESME_RMISSINGOPTPARAM", 0xC4: "ESME_RINVOPTPARAMVAL",
	0xFE: "ESME_RDELIVERYFAILURE", 0xFF: "ESME_RUNKNOWNERR",
}

// StatusName returns the SMPP name of a command_status ("ESME_RTHROTTLED"),
// or "status_0x%08x" when it is not an SMPP 3.4 value (vendor codes).
func StatusName(s uint32) string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("status_0x%08x", s)
}

// tlvNames is read-only after package initialisation (SMPP 3.4 section
// 5.3.2, plus SMPP 5.0 tags seen in the field).
var tlvNames = map[uint16]string{
	0x0005: "dest_addr_subunit", 0x0006: "dest_network_type", 0x0007: "dest_bearer_type",
	0x0008: "dest_telematics_id", 0x000D: "source_addr_subunit", 0x000E: "source_network_type",
	0x000F: "source_bearer_type", 0x0010: "source_telematics_id", 0x0017: "qos_time_to_live",
	0x0019: "payload_type", 0x001D: "additional_status_info_text", 0x001E: "receipted_message_id",
	0x0030: "ms_msg_wait_facilities", 0x0201: "privacy_indicator", 0x0202: "source_subaddress",
	0x0203: "dest_subaddress", 0x0204: "user_message_reference", 0x0205: "user_response_code",
	0x020A: "source_port", 0x020B: "destination_port", 0x020C: "sar_msg_ref_num",
	0x020D: "language_indicator", 0x020E: "sar_total_segments", 0x020F: "sar_segment_seqnum",
	0x0210: "sc_interface_version", 0x0302: "callback_num_pres_ind", 0x0303: "callback_num_atag",
	0x0304: "number_of_messages", 0x0381: "callback_num", 0x0420: "dpf_result",
	0x0421: "set_dpf", 0x0422: "ms_availability_status", 0x0423: "network_error_code",
	0x0424: "message_payload", 0x0425: "delivery_failure_reason", 0x0426: "more_messages_to_send",
	0x0427: "message_state", 0x0428: "congestion_state", 0x0501: "ussd_service_op",
	0x0600: "broadcast_channel_indicator", 0x1201: "display_time", 0x1203: "sms_signal",
	0x1204: "ms_validity", 0x130C: "alert_on_message_delivery", 0x1380: "its_reply_type",
	0x1383: "its_session_info",
}

// TLVName returns the SMPP name of an optional parameter tag, or
// "tlv_0x%04x" for a vendor or unknown tag.
func TLVName(tag uint16) string {
	if n, ok := tlvNames[tag]; ok {
		return n
	}
	return fmt.Sprintf("tlv_0x%04x", tag)
}
