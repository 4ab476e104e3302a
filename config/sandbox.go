package config

import (
	"time"

	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/addressmap"
)

// SandboxSMSC is the name of the simulated SMSC route of the sandbox.
const SandboxSMSC = "sim-smsc"

// Names the sandbox's IMPS side uses.
const (
	SandboxIMPSUser   = "iwf-gateway"
	SandboxIMPSDomain = "imps.example.net"
)

// Sandbox is the configuration `iwf serve` runs with no file: the local
// journal under ./iwf-data, an SMSC simulator and a CPM user agent
// in-process on loopback, SIP on 127.0.0.1:5070, the console on
// 127.0.0.1:8080. Every E.164 number is a legacy user: text that fits an
// SMS goes to the SMSC simulator, anything with media or a subject to the
// MMS relay simulator (MM7 on 127.0.0.1:8081); users in imps.example.net
// are users of the IMPS server simulator.
func Sandbox(lookup func(string) (string, bool)) (*Config, error) {
	c := &Config{
		Sandbox: true,
		SIP: SIP{Config: sip.Config{
			Listen: []string{"udp:127.0.0.1:5070", "tcp:127.0.0.1:5070"},
			Domain: "iwf.example.net",
			// The outbound proxy is the sandbox's CPM user agent; serve
			// fills in its address once it listens.
			TrustedPeers: []string{"127.0.0.0/8"},
		}},
		SMPP: []SMSC{{}},
		AddressMap: addressmap.Config{
			CountryCode: "44",
			Rules:       []addressmap.Rule{{Match: "+", Network: "auto", Route: SandboxSMSC}},
		},
		MM7:  &MM7{},
		IMPS: &IMPS{},
	}
	c.MM7.InboundUsername, c.MM7.InboundPassword = "sim-mmsc", "sandbox"
	c.MM7.Username, c.MM7.Password = "iwf", "sandbox"
	c.MM7.VASPID, c.MM7.VASID = "iwf", "cpm"
	c.IMPS.User, c.IMPS.Password = SandboxIMPSUser, "sandbox"
	c.IMPS.Domain, c.IMPS.RemoteDomains = "cpm.example.net", []string{SandboxIMPSDomain}
	c.IMPS.PollInterval = time.Second
	// The simulators' URLs are only known once they listen; serve sets them.
	c.MM7.RelayURL = "http://127.0.0.1:0/mm7"
	c.IMPS.ServerURL = "http://127.0.0.1:0/imps"
	c.SMPP[0].Name = SandboxSMSC
	c.SMPP[0].SystemID = "iwf"
	c.SMPP[0].Password = "sandbox"
	c.Console.Listen = "127.0.0.1:8080"
	if err := c.ApplyEnv(lookup); err != nil {
		return nil, err
	}
	c.applyDefaults()
	// The simulator's address is only known once it listens; serve sets it.
	c.SMPP[0].Address = "127.0.0.1:0"
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}
