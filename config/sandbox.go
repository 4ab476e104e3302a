package config

import (
	"github.com/iwf-gateway/iwf/adapters/sip"
	"github.com/iwf-gateway/iwf/addressmap"
)

// SandboxSMSC is the name of the simulated SMSC route of the sandbox.
const SandboxSMSC = "sim-smsc"

// Sandbox is the configuration `iwf serve` runs with no file: the local
// journal under ./iwf-data, an SMSC simulator and a CPM user agent
// in-process on loopback, SIP on 127.0.0.1:5070, the console on
// 127.0.0.1:8080. Every E.164 number is an SMS user of the simulator.
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
			Rules:       []addressmap.Rule{{Match: "+", Network: "sms", Route: SandboxSMSC}},
		},
	}
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
