package gateway

import (
	"errors"
	"fmt"
	"strings"

	"github.com/iwf-gateway/iwf/adapters/smpp"
	"github.com/iwf-gateway/iwf/addressmap"
	"github.com/iwf-gateway/iwf/cpm"
	"github.com/iwf-gateway/iwf/translate"
)

// Default worker counts of the MM7 and IMPS routes.
const (
	defaultMMSWorkers  = 16
	defaultIMPSWorkers = 64
)

// IMPSRoute.SenderForm values.
const (
	SenderInSender  = "sender"
	SenderInDisplay = "display"
)

// smppPlaceholder stands for both addresses when a text is only measured.
var smppPlaceholder = smpp.Address{Addr: "1", TON: 1, NPI: 1}

// addLegacyRoutes checks and installs the MM7 and IMPS routes.
func (g *Gateway) addLegacyRoutes(deps Deps) error {
	taken := func(name string) bool {
		_, sms := g.sms[name]
		return sms || name == cpmRoute || (g.mms != nil && g.mms.Name == name)
	}
	if r := deps.MMS; r != nil {
		if r.Name == "" || r.Link == nil || taken(r.Name) {
			return fmt.Errorf("gateway: MMS route %q needs a link and a name no other route has", r.Name)
		}
		if r.Workers <= 0 {
			r.Workers = defaultMMSWorkers
		}
		g.mms = &mmsRoute{MMSRoute: *r, q: newWorkQueue(g.cfg.HotQueue, g.cfg.HotQueueBytes)}
	}
	if r := deps.IMPS; r != nil {
		if r.Name == "" || r.Link == nil || taken(r.Name) {
			return fmt.Errorf("gateway: IMPS route %q needs a link and a name no other route has", r.Name)
		}
		if err := r.Names.Validate(); err != nil {
			return fmt.Errorf("gateway: IMPS route %q: %w", r.Name, err)
		}
		switch r.SenderForm {
		case "":
			r.SenderForm = SenderInSender
		case SenderInSender, SenderInDisplay:
		default:
			return fmt.Errorf("gateway: IMPS route %q: sender form %q: want sender or display", r.Name, r.SenderForm)
		}
		if r.Workers <= 0 {
			r.Workers = defaultIMPSWorkers
		}
		g.imps = &impsRoute{IMPSRoute: *r, q: newWorkQueue(g.cfg.HotQueue, g.cfg.HotQueueBytes)}
	}
	return nil
}

// routeFor decides which route delivers a message from a CPM user and
// checks that the network can carry it, answering with the SIP status a
// refusal deserves. IMPS users are recognised by their domain first;
// everyone else by the address map's rules.
func (g *Gateway) routeFor(m *cpm.Message) (string, error) {
	impsUser, route, err := g.ownerOf(string(m.To))
	if err != nil {
		return "", err
	}
	if impsUser {
		if len(m.Parts) != 1 {
			return "", sipStatus(415, "Unsupported Media Type: IMPS carries one content per message")
		}
		if _, err := g.impsSender(m.From); err != nil {
			return "", sipStatus(403, "Forbidden: the sender has no IMPS id")
		}
		return g.imps.Name, nil
	}
	switch route.Network {
	case NetworkSMS:
		r, ok := g.sms[route.Name]
		if !ok {
			break
		}
		return r.Name, g.smsCanCarry(m, r)
	case NetworkMMS:
		if g.mms == nil {
			break
		}
		return g.mms.Name, g.mmsCanCarry(m)
	case NetworkAuto:
		r, ok := g.sms[route.Name]
		if !ok || g.mms == nil {
			break
		}
		if g.fitsSMS(m, r) {
			return r.Name, nil
		}
		return g.mms.Name, g.mmsCanCarry(m)
	}
	return "", sipStatus(404, "Not Found: no interworking route to "+string(m.To))
}

// ownerOf says who serves a recipient: an IMPS user (by domain), else
// the address map's route; an unknown recipient is a 404.
func (g *Gateway) ownerOf(to string) (impsUser bool, route addressmap.Route, err error) {
	if g.imps != nil {
		_, ok, err := g.imps.Names.IMPSRecipient(to)
		if err != nil {
			return false, route, sipStatus(404, "Not Found: "+err.Error())
		}
		if ok {
			return true, route, nil
		}
	}
	route, err = g.deps.Addresses.Owner(to)
	if err != nil {
		if errors.Is(err, addressmap.ErrNoRoute) {
			return false, route, sipStatus(404, "Not Found: no route to "+to)
		}
		return false, route, sipStatus(404, "Not Found: "+err.Error())
	}
	return false, route, nil
}

// smsCanCarry checks that SMS can carry a message: one text part, and a
// sender with a number SMS can write.
func (g *Gateway) smsCanCarry(m *cpm.Message, r *smsRoute) error {
	if _, ok := m.Text(); !ok {
		return sipStatus(415, "Unsupported Media Type: SMS carries text only")
	}
	if _, err := g.smppAddress(m.From, r); err != nil {
		return sipStatus(403, "Forbidden: the sender has no number SMS can carry")
	}
	return nil
}

// fitsSMS reports whether an auto-routed message goes as SMS: text only,
// no subject, within the route's segment limit.
func (g *Gateway) fitsSMS(m *cpm.Message, r *smsRoute) bool {
	if m.Subject != "" || g.smsCanCarry(m, r) != nil {
		return false
	}
	rt := r.SMS
	rt.Source, rt.Dest = smppPlaceholder, smppPlaceholder
	_, err := translate.SMSFromMessage(m, rt)
	return err == nil
}

// mmsCanCarry checks size and sender of a message for MM7 before it is
// accepted, so the CPM user hears at once instead of by a late report.
func (g *Gateway) mmsCanCarry(m *cpm.Message) error {
	if max := g.mms.Policy.MaxBytes; max > 0 && m.Size() > max {
		return sipStatus(413, fmt.Sprintf("Request Entity Too Large: MMS takes at most %d bytes", max))
	}
	if len(m.Parts) == 0 {
		return sipStatus(400, "Bad Request: empty message")
	}
	if _, err := g.mm7Address(m.From); err != nil {
		return sipStatus(403, "Forbidden: the sender has no address MMS can carry")
	}
	return nil
}

// canonicalAddress is an address in one form for every spelling of one
// user (tel:, sip:+E.164;user=phone, a national number): the address
// map's canonical number or identity, else the address as written, folded.
// It keys a recipient's partition on a shared journal and the parties of
// a chat.
func (g *Gateway) canonicalAddress(addr string) string {
	if n, err := g.deps.Addresses.Normalize(addr); err == nil {
		return fmt.Sprintf("%d:%s", n.Kind, n.String())
	}
	return strings.ToLower(strings.TrimSpace(addr))
}
