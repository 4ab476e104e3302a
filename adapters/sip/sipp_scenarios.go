package sip

// SIPp scenarios for end-to-end tests against an Endpoint, kept in
// SIPpScenarioDir (relative to the module root). SIPp writes its logs next
// to the scenario, so copy them to a temporary directory before running.
//
//	uac_message.xml: a CPM core sending MESSAGE, expecting 202 each time:
//	  sipp -sf uac_message.xml -m N -t u1|t1 -i 127.0.0.1 -p <free port> 127.0.0.1:<iwf port>
//	uas_message.xml: a CPM core answering MESSAGE with 200; with
//	  -trace_logs it logs each request's P-Asserted-Identity, Accept-Contact
//	  and Content-Type:
//	  sipp -sf uas_message.xml -m N -t u1|t1 -i 127.0.0.1 -p <port> -trace_logs
const (
	SIPpScenarioDir = "adapters/sip/testdata/sipp"
	SIPpUACMessage  = "uac_message.xml"
	SIPpUASMessage  = "uas_message.xml"
)
