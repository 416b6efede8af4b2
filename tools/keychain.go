package tools

import (
	"context"
	"errors"
	"time"

	"github.com/deskchat/deskchat/internal/secrets"
)

// SecretKey is the keychain account (under secrets.Service) holding the
// value of the environment variable (kind "env") or HTTP header (kind
// "header") called name for server: "mcp:NAME:env:K".
func SecretKey(server, kind, name string) string {
	return "mcp:" + server + ":" + kind + ":" + name
}

// errEmptySecret is a keychain entry that holds nothing.
var errEmptySecret = errors.New("the keychain holds no value for it")

// Keychain reads secrets from kr (nil: secrets.System()), each read bounded
// by secrets.KeychainTimeout.
func Keychain(kr secrets.Keyring) func(ctx context.Context, key string) (string, error) {
	return func(ctx context.Context, key string) (string, error) {
		k := kr
		if k == nil {
			k = secrets.System()
		}
		type got struct {
			v   string
			err error
		}
		c := make(chan got, 1)
		go func() { // a D-Bus call cannot be interrupted: given up on, it ends alone
			v, err := k.Get(secrets.Service, key)
			c <- got{v, err}
		}()
		t := time.NewTimer(secrets.KeychainTimeout)
		defer t.Stop()
		select {
		case g := <-c:
			if g.err == nil && g.v == "" {
				return "", errEmptySecret
			}
			return g.v, g.err
		case <-t.C:
			return "", secrets.ErrTimeout
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}
