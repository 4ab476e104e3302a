package smpp

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iwf-gateway/iwf/adapters/smpp/pdu"
)

const samplesDir = "../../../shared/specs/smpp/samples"

func fieldValue(d Description, name string) string {
	for _, f := range append(append([]DescribedField(nil), d.Fields...), d.TLVs...) {
		if f.Name == name {
			return f.Value
		}
	}
	return "<absent>"
}

// TestDescribeSamples describes every shared sample and checks its key
// fields.
func TestDescribeSamples(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(samplesDir, "*.hex"))
	if len(files) == 0 {
		t.Skip("shared SMPP samples not present at " + samplesDir)
	}
	want := map[string]map[string]string{
		"bind_transmitter":                           {"command_id": "bind_transmitter", "system_id": `"test"`, "password": `"secret"`, "system_type": `"OTA"`, "addr_ton": "2 (0x02)", "address_range": `"127.0.0.*"`},
		"bind_transmitter_resp_sc_interface_version": {"system_id": `"TSI7588"`, "sc_interface_version": "52 (0x34)"},
		"bind_transceiver_resp_sc_interface_version": {"system_id": `"Smsc GW"`, "sc_interface_version": "52 (0x34)"},
		"cancel_sm":                           {"command_id": "cancel_sm", "message_id": `"12345"`},
		"data_sm":                             {"command_id": "data_sm", "message_payload": `"Test" (0x54657374)`},
		"deliver_sm_receipt_cmt_tlvs":         {"service_type": `"CMT"`, "esm_class": "4 (0x04)", "receipted_message_id": `"70BA8A69"`, "message_state": "2 (0x02)"},
		"deliver_sm_receipt_standard":         {"esm_class": "4 (0x04)", "receipted_message_id": `"38601fa"`, "message_state": "2 (0x02)"},
		"deliver_sm_syniverse_mo_latin1":      {"service_type": `"AWSBD"`, "data_coding": "3 (0x03)", "short_message": `"there is no spoon" (0x7468657265206973206e6f2073706f6f6e)`, "sequence_number": "2676551972"},
		"deliver_sm_ucs2_udh_concat_part1of2": {"esm_class": "77 (0x4d)", "data_coding": "8 (0x08)"},
		"generic_nack_rinvmsglen":             {"command_id": "generic_nack", "command_status": "ESME_RINVMSGLEN (0x00000001)"},
		"submit_sm":                           {"source_addr": `"40404"`, "destination_addr": `"44951361920"`, "registered_delivery": "1 (0x01)"},
		"submit_sm_resp":                      {"message_id": `"94258431594"`},
		"submit_sm_resp_error_no_body":        {"command_status": "ESME_RMSGQFUL (0x00000014)", "message_id": "<absent>"},
		"enquire_link":                        {"command_id": "enquire_link", "sequence_number": "6"},
		"unbind_resp":                         {"command_id": "unbind_resp"},
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".hex")
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := hex.DecodeString(strings.TrimSpace(string(text)))
		if err != nil {
			t.Fatal(err)
		}
		d, err := DescribePDU(raw)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		lines := map[string]string{}
		for _, l := range strings.Split(strings.TrimSpace(d.String()), "\n") {
			k, v, _ := strings.Cut(l, ": ")
			lines[k] = v
		}
		if lines["command_length"] != strconv.Itoa(len(raw)) {
			t.Errorf("%s: command_length line %q, want %d", name, lines["command_length"], len(raw))
		}
		for k, v := range want[name] {
			got, ok := lines[k]
			if !ok {
				got = "<absent>"
			}
			if got != v {
				t.Errorf("%s: %s = %s, want %s", name, k, got, v)
			}
		}
	}
}

func TestDescribeMalformed(t *testing.T) {
	for _, c := range []struct {
		hex  string
		want error
	}{
		{"0000000f", pdu.ErrShort},
		{"00000020000000040000000000000001", pdu.ErrInvalidLength},
		{"00000010000000770000000000000001", pdu.ErrUnknownCommand},
		{"000000138000000400000000000000014142", pdu.ErrInvalidLength},
		{"00000013800000040000000000000001414243", pdu.ErrMissingNUL},
	} {
		raw, _ := hex.DecodeString(c.hex)
		if _, err := DescribePDU(raw); !errors.Is(err, c.want) || !strings.HasPrefix(err.Error(), "smpp: ") {
			t.Errorf("%s: err = %v, want %v", c.hex, err, c.want)
		}
	}
}

// FuzzDescribePDU: DescribePDU never panics, and a PDU that decodes
// re-encodes through the pdu codec to one described the same way.
func FuzzDescribePDU(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := DescribePDU(raw)
		if err != nil {
			return
		}
		p, err := pdu.Decode(raw)
		if err != nil {
			t.Fatalf("described but does not decode: %v", err)
		}
		again, err := p.Append(nil)
		if err != nil {
			t.Fatalf("decoded but does not encode: %v", err)
		}
		d2, err := DescribePDU(again)
		if err != nil {
			t.Fatalf("re-encoded PDU does not describe: %v", err)
		}
		if !reflect.DeepEqual(d, d2) {
			t.Fatalf("round trip changed the PDU:\n%s\n%s", d, d2)
		}
	})
}

func TestRelativeTimeRoundTrip(t *testing.T) {
	for _, d := range []int64{1, 59, 3600, 86400 + 61, 400 * 86400} {
		dur := time.Duration(d) * time.Second
		if got := parseRelativeTime(relativeTime(dur)); got != dur {
			t.Errorf("%v -> %s -> %v", dur, relativeTime(dur), got)
		}
	}
}
