package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/iwf-gateway/iwf/addressmap"
)

func newAddrCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "addr", Short: "Address tools"}
	var countryCode, path, domain string
	normalize := &cobra.Command{
		Use:   "normalize NUMBER|URI",
		Short: "Show how iwf reads an address: kind, E.164, URIs, SMPP form and owning route",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ac addressmap.Config
			if path != "" {
				cfg, err := loadConfig(path)
				if err != nil {
					return err
				}
				ac = cfg.AddressMap
				if domain == "" {
					domain = cfg.SIP.Domain
				}
			}
			if countryCode != "" {
				ac.CountryCode = countryCode
			}
			m, err := addressmap.New(ac)
			if err != nil {
				return err
			}
			n, err := m.Normalize(args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "input:      %s\nkind:       %s\n", args[0], n.Kind)
			if e := n.E164(); e != "" {
				fmt.Fprintf(out, "e164:       +%s\n", e)
			}
			if u := n.TelURI(); u != "" {
				fmt.Fprintf(out, "tel:        %s\n", u)
			}
			if domain == "" {
				domain = "iwf.example.net"
			}
			if u := n.SIPURI(domain); u != "" {
				fmt.Fprintf(out, "sip:        %s\n", u)
			}
			if a, ton, npi, err := m.ToSMPP(n, addressmap.SMPPPolicy{}); err == nil {
				fmt.Fprintf(out, "smpp:       %s (ton %d, npi %d)\n", a, ton, npi)
			}
			fmt.Fprintf(out, "replyable:  %t\n", n.Replyable())
			if r, err := m.Owner(args[0]); err == nil {
				fmt.Fprintf(out, "owner:      network %s, route %s\n", r.Network, r.Name)
			} else {
				fmt.Fprintf(out, "owner:      none (%v)\n", err)
			}
			return nil
		},
	}
	normalize.Flags().StringVar(&countryCode, "country-code", "", "home country calling code, e.g. 44")
	normalize.Flags().StringVarP(&path, "config", "c", "", "take the addressmap section of this file")
	normalize.Flags().StringVar(&domain, "domain", "", "domain for the SIP form (default sip.domain or iwf.example.net)")
	cmd.AddCommand(normalize)
	return cmd
}
