package wv

import (
	"bytes"
	"encoding/xml"
	"fmt"
)

// tokenGuard sits between the XML tokenizer and the struct decoder. It
// refuses markup declarations (DOCTYPE, ENTITY), bounds depth and element
// count, checks the root element and its namespace (recording the
// version), the TransactionContent namespace, and text outside the root.
type tokenGuard struct {
	in       *xml.Decoder
	limits   Limits
	depth    int
	elements int
	rootNS   string
	version  Version
}

// Token implements xml.TokenReader.
func (g *tokenGuard) Token() (xml.Token, error) {
	t, err := g.in.Token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case xml.Directive:
		return nil, fmt.Errorf("%w: <!%.40s", ErrDoctype, t)
	case xml.StartElement:
		if err := g.start(t); err != nil {
			return nil, err
		}
	case xml.EndElement:
		g.depth--
	case xml.CharData:
		if g.depth == 0 && len(bytes.TrimSpace(t)) != 0 {
			return nil, fmt.Errorf("%w: text outside the WV-CSP-Message element", ErrSyntax)
		}
	}
	return t, nil
}

func (g *tokenGuard) start(t xml.StartElement) error {
	g.depth++
	g.elements++
	if g.depth > g.limits.MaxDepth {
		return fmt.Errorf("%w: nesting deeper than %d", ErrTooLarge, g.limits.MaxDepth)
	}
	if g.elements > g.limits.MaxElements {
		return fmt.Errorf("%w: more than %d elements", ErrTooLarge, g.limits.MaxElements)
	}
	switch {
	case g.depth == 1:
		if g.rootNS != "" {
			return fmt.Errorf("%w: content after the WV-CSP-Message element", ErrSyntax)
		}
		if t.Name.Local != "WV-CSP-Message" {
			return fmt.Errorf("%w: root element is <%.40s>, not <WV-CSP-Message>", ErrSyntax, t.Name.Local)
		}
		v, ok := versionOfCSP(t.Name.Space)
		if !ok {
			return fmt.Errorf("%w: namespace %q", ErrVersion, t.Name.Space)
		}
		g.rootNS, g.version = t.Name.Space, v
	case t.Name.Local == "TransactionContent":
		if t.Name.Space != g.rootNS && !knownTRC(t.Name.Space) {
			return fmt.Errorf("%w: TransactionContent namespace %q", ErrVersion, t.Name.Space)
		}
	}
	return nil
}
