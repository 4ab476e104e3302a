package config

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeConfigParses keeps the README's full configuration file honest:
// every key in it exists and every value validates.
func TestReadmeConfigParses(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	begin, end := strings.Index(s, "<!-- config:begin -->"), strings.Index(s, "<!-- config:end -->")
	if begin < 0 || end < begin {
		t.Fatal("README.md has no config:begin/config:end block")
	}
	block := s[begin:end]
	block = block[strings.Index(block, "```yaml")+len("```yaml") : strings.LastIndex(block, "```")]
	c, err := Parse([]byte(block), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("README config: %v", err)
	}
	if len(c.SMPP) != 1 || c.SMPP[0].Name != "smsc1" || !c.SIP.CPIMEnabled() || c.Gateway.Validity.Hours() != 48 {
		t.Errorf("README config read as %+v", c)
	}
}
