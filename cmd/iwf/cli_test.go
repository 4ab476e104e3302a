package main

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/adapters/smpp/pdu"
)

// collapse folds runs of blanks so assertions do not depend on alignment.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestDecodeSMPPReceipt(t *testing.T) {
	sm := smpp.ShortMessage{
		ESMClass: smpp.ESMClassDeliveryReceipt,
		Source:   smpp.Address{Addr: "447700900123", TON: 1, NPI: 1}, Dest: smpp.Address{Addr: "447700900999", TON: 1, NPI: 1},
		Message: []byte("id:0059113978 sub:001 dlvrd:001 submit date:1002101730 done date:1002101731 stat:DELIVRD err:000 text:@"),
		TLVs:    []smpp.TLV{{Tag: smpp.TagReceiptedMessageID, Value: []byte("38601fa\x00")}, {Tag: smpp.TagMessageState, Value: []byte{2}}},
	}
	raw, err := smpp.AppendShortMessage(nil, pdu.DeliverSM, 7, &sm)
	if err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "decode", "smpp", hex.EncodeToString(raw))
	if err != nil {
		t.Fatalf("decode: %v\n%s", err, out)
	}
	for _, want := range []string{"command_id: deliver_sm", "sequence_number: 7", "source_addr: \"447700900123\"",
		"receipted_message_id", "message id:    38601fa", "text id:       0059113978", "status:        delivered",
		"stat:          DELIVRD", "submit date:   2010-02-10 17:30:00", "done date:     2010-02-10 17:31:00", "err:           000"} {
		if !strings.Contains(collapse(out), collapse(want)) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDecodeSMPPRefusesMalformed(t *testing.T) {
	if out, err := runCLI(t, "decode", "smpp", "00000010800000040000000000"); err == nil {
		t.Errorf("a truncated PDU decoded:\n%s", out)
	}
	if _, err := runCLI(t, "decode", "smpp", "zz"); err == nil {
		t.Error("non-hex input accepted")
	}
}

func TestAddrNormalize(t *testing.T) {
	out, err := runCLI(t, "addr", "normalize", "--country-code", "44", "07700 900123")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kind:       international", "e164:       +447700900123", "tel:        tel:+447700900123",
		"smpp:       447700900123 (ton 1, npi 1)", "owner:      none"} {
		if !strings.Contains(collapse(out), collapse(want)) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := runCLI(t, "addr", "normalize", "--country-code", "44", "not a number"); err == nil {
		t.Error("garbage normalised")
	}
}

func TestCheckConfig(t *testing.T) {
	if out, err := runCLI(t, "check-config"); err != nil || !strings.Contains(out, "configuration OK") {
		t.Errorf("sandbox check-config: %v\n%s", err, out)
	}
	if _, err := runCLI(t, "check-config", "testdata/does-not-exist.yaml"); err == nil {
		t.Error("a missing file passed check-config")
	}
}
