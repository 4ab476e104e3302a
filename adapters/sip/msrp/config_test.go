package msrp

import (
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("zero Config: %v", err)
	}
	for _, c := range []Config{{MaxHeaderBytes: -1}, {MaxHeaders: -1}, {MaxBodyBytes: -1}, {MaxMessageBytes: -1}, {MaxChunks: -1}} {
		if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "msrp: ") {
			t.Errorf("Validate(%+v) = %v", c, err)
		}
	}
	d := Config{}.WithDefaults()
	if d.MaxHeaderBytes != DefaultMaxHeaderBytes || d.MaxHeaders != DefaultMaxHeaders || d.MaxBodyBytes != DefaultMaxBodyBytes ||
		d.MaxMessageBytes != DefaultMaxMessageBytes || d.MaxChunks != DefaultMaxChunks {
		t.Errorf("defaults = %+v", d)
	}
}
