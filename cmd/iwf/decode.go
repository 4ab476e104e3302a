package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/adapters/smpp/pdu"
	"github.com/iwf-gateway/iwf/translate"
)

func newDecodeCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "decode", Short: "Decode protocol messages"}
	cmd.AddCommand(&cobra.Command{
		Use:   "smpp HEX",
		Short: "Print an SMPP PDU's fields and, for a delivery receipt, the parsed receipt",
		Long:  "Print an SMPP PDU's fields. HEX is the whole PDU (header included); spaces, newlines and\na 0x prefix are ignored. A delivery receipt is also parsed: id, status, dates, error.",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := parseHex(strings.Join(args, ""))
			if err != nil {
				return err
			}
			return decodeSMPP(cmd.OutOrStdout(), raw)
		},
	})
	cmd.AddCommand(newDecodeMM7Cmd())
	cmd.AddCommand(newDecodeIMPSCmd())
	cmd.AddCommand(newDecodeMSRPCmd())
	return cmd
}

func parseHex(s string) ([]byte, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "0x")
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == ':' {
			return -1
		}
		return r
	}, s)
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not hex: %w", err)
	}
	return b, nil
}

func decodeSMPP(out io.Writer, raw []byte) error {
	d, err := smpp.DescribePDU(raw)
	if err != nil {
		return err
	}
	fmt.Fprint(out, d.String())
	p, err := pdu.Decode(raw)
	if err != nil {
		return err
	}
	switch p.CommandID {
	case pdu.DeliverSM, pdu.SubmitSM, pdu.DataSM:
	default:
		return nil
	}
	sm, err := smpp.ShortMessageFromPDU(p)
	if err != nil {
		return err
	}
	rc, isReceipt, err := translate.ParseReceipt(&sm)
	if !isReceipt {
		return nil
	}
	if err != nil {
		fmt.Fprintf(out, "\nreceipt: unreadable: %v\n", err)
		return nil
	}
	fmt.Fprintf(out, "\nreceipt:\n%s", describeReceipt(rc))
	return nil
}
