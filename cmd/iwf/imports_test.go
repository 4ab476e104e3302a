package main

import (
	"os/exec"
	"strings"
	"testing"
)

// importRules are the layers of DESIGN.md: a package under the key must
// not import any iwf package under the listed prefixes.
var importRules = map[string][]string{
	"adapters/":  {"gateway", "translate", "journal", "cpm", "console", "config", "cmd/", "sim"},
	"cpm":        {"adapters", "gateway", "translate", "journal", "console", "config", "cmd/", "sim", "addressmap"},
	"addressmap": {"adapters", "gateway", "translate", "journal", "console", "config", "cmd/", "sim", "cpm"},
	"charset/":   {"adapters", "gateway", "translate", "journal", "console", "config", "cmd/", "sim", "cpm"},
	"translate":  {"gateway", "journal", "console", "config", "cmd/", "sim"},
	"journal":    {"adapters", "gateway", "translate", "console", "config", "cmd/", "sim"},
	"console":    {"adapters", "cmd/"},
	"gateway":    {"console", "config", "cmd/", "sim"},
	"sim":        {"gateway", "journal", "console", "config", "cmd/"},
	"config":     {"cmd/"},
}

// pureCodecs do no I/O.
var pureCodecs = []string{"adapters/smpp/pdu", "adapters/sip/msrp", "adapters/mms/mm7", "adapters/imps/wv", "charset/", "cpm"}

// TestImportsFollowTheDesign keeps the import graph pointing one way.
func TestImportsFollowTheDesign(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "../../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/iwf-gateway/iwf/"
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(f[0], mod)
		for _, imp := range f[1:] {
			if !strings.HasPrefix(imp, mod) {
				if isPure(pkg) && (imp == "net" || imp == "net/http" || imp == "os" || imp == "os/exec" || imp == "log" || imp == "log/slog") {
					t.Errorf("%s imports %s: a codec does no I/O", pkg, imp)
				}
				continue
			}
			dep := strings.TrimPrefix(imp, mod)
			if strings.HasPrefix(dep, "cmd/") {
				t.Errorf("%s imports %s: nothing imports cmd/", pkg, dep)
			}
			for layer, banned := range importRules {
				if !under(pkg, layer) {
					continue
				}
				for _, b := range banned {
					if under(dep, b) && !under(dep, layer) {
						t.Errorf("%s imports %s, against DESIGN.md", pkg, dep)
					}
				}
			}
		}
	}
}

func under(pkg, prefix string) bool {
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(pkg, prefix)
	}
	return pkg == prefix || strings.HasPrefix(pkg, prefix+"/")
}

func isPure(pkg string) bool {
	for _, p := range pureCodecs {
		if under(pkg, p) && !strings.HasSuffix(pkg, "test") {
			return true
		}
	}
	return false
}
