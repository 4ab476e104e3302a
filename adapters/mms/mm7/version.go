package mm7

import (
	"regexp"
	"strings"
)

// SOAPNamespace is the SOAP 1.1 envelope namespace.
const SOAPNamespace = "http://schemas.xmlsoap.org/soap/envelope/"

// NamespacePrefix is the common start of every MM7 schema namespace.
const NamespacePrefix = "http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/"

// Version names an MM7 schema by its namespace, e.g. REL6MM714. Output is
// written in one Version; input is accepted in any of them.
type Version string

// Versions this package writes; any REL-n-MM7-1-m namespace is read.
const (
	REL5MM713 Version = NamespacePrefix + "REL-5-MM7-1-3"
	REL6MM710 Version = NamespacePrefix + "REL-6-MM7-1-0"
	REL6MM714 Version = NamespacePrefix + "REL-6-MM7-1-4"
)

var versionPattern = regexp.MustCompile(`^REL-([5-9]|[1-9][0-9])-MM7-1-([0-9]{1,2})$`)

// ParseVersion accepts an MM7 namespace URI (REL-5-MM7-1-0 and later) and
// reports ErrUnsupportedVersion for anything else.
func ParseVersion(ns string) (Version, error) {
	rest, ok := strings.CutPrefix(ns, NamespacePrefix)
	if !ok || !versionPattern.MatchString(rest) {
		return "", ErrUnsupportedVersion
	}
	return Version(ns), nil
}

// Name is the schema name, e.g. "REL-6-MM7-1-4".
func (v Version) Name() string { return strings.TrimPrefix(string(v), NamespacePrefix) }

// MM7Version is the MM7Version element value matching v, used when a
// message to encode leaves it empty: "5.3.0" for REL-5-MM7-1-0..3,
// "6.8.0" for REL-6 and later.
func (v Version) MM7Version() string {
	if strings.HasPrefix(v.Name(), "REL-5-") {
		return "5.3.0"
	}
	return "6.8.0"
}
