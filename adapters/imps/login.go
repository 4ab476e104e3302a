package imps

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/iwf-gateway/iwf/adapters/imps/wv"
)

// Digest schemas of Login-Request/Login-Response.
const (
	DigestSchemaMD5 = "MD5"
	DigestSchemaPWD = "PWD"
)

// Digest returns the WV-CSP MD5 digest answering a login challenge:
// base64(MD5(nonce || password)).
func Digest(nonce, password string) string {
	sum := md5.Sum([]byte(nonce + password))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// login runs Login-Request (and the digest round when challenged) and
// returns the new session.
func (c *Client) login(ctx context.Context) (*session, error) {
	req := &wv.LoginRequest{
		UserID:        c.cfg.User,
		ClientID:      wv.ClientID{URL: c.cfg.ClientID},
		TimeToLive:    seconds(c.cfg.KeepAliveTime),
		SessionCookie: "iwf-" + c.nextTransactionID(),
	}
	if c.cfg.Auth == AuthPassword {
		req.Password = c.cfg.Password
	}
	resp, err := c.loginExchange(ctx, req)
	if err != nil {
		return nil, err
	}
	if resp.Result.Code == wv.CodeUnauthorized && resp.Nonce != "" {
		if err := c.answerChallenge(req, resp); err != nil {
			return nil, err
		}
		if resp, err = c.loginExchange(ctx, req); err != nil {
			return nil, err
		}
	}
	if !resp.Result.Success() {
		return nil, fmt.Errorf("imps: login: %w", resp.Result.Err())
	}
	if resp.SessionID == "" {
		return nil, fmt.Errorf("%w: login succeeded without SessionID", ErrUnexpectedResponse)
	}
	if resp.CapabilityRequest != nil && bool(*resp.CapabilityRequest) {
		// See doc.go: the server's defaults (delivery method included) apply.
		c.log.Info("imps: server asked for client capabilities; not negotiated", "user", c.cfg.User)
	}
	keepAlive := c.cfg.KeepAliveTime
	if resp.KeepAliveTime > 0 {
		keepAlive = time.Duration(resp.KeepAliveTime) * time.Second
	}
	return newSession(resp.SessionID, keepAlive), nil
}

func (c *Client) answerChallenge(req *wv.LoginRequest, resp *wv.LoginResponse) error {
	switch strings.ToUpper(resp.DigestSchema) {
	case "", DigestSchemaMD5:
		req.Password = ""
		req.DigestSchema = DigestSchemaMD5
		req.DigestBytes = Digest(resp.Nonce, c.cfg.Password)
	case DigestSchemaPWD:
		req.Password = c.cfg.Password
	default:
		return fmt.Errorf("%w: %q", ErrDigestSchema, resp.DigestSchema)
	}
	return nil
}

func (c *Client) loginExchange(ctx context.Context, req *wv.LoginRequest) (*wv.LoginResponse, error) {
	rep, err := c.request(ctx, nil, req, true)
	if err != nil {
		return nil, err
	}
	if r, ok := rep.primitive.(*wv.LoginResponse); ok {
		return r, nil
	}
	_, err = checkResult[*wv.LoginResponse]("Login-Request", rep.primitive)
	if err == nil {
		err = fmt.Errorf("%w: Login-Request answered with %s", ErrUnexpectedResponse, rep.primitive.PrimitiveName())
	}
	return nil, err
}

// logout sends Logout-Request and ends s.
func (c *Client) logout(ctx context.Context, s *session) error {
	rep, err := c.request(ctx, s, &wv.LogoutRequest{}, true)
	s.end(ErrClosed)
	if err == nil {
		_, err = checkResult[*wv.Status]("Logout-Request", rep.primitive)
	}
	if err != nil {
		return err
	}
	c.log.Info("imps: logged out", "session", s.id)
	return nil
}
