// Package chunk defines what a source sends and players play: channels
// named by the source's key, signed chunks of RTP packets, and the signed
// channel metadata that carries the SDP.
package chunk

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/almcast/alm/id"
)

// Scheme prefixes a channel string.
const Scheme = "alm://"

// MaxNameLen bounds a channel name.
const MaxNameLen = 64

// Channel names a stream: the source's public key and a name. Its text
// form, alm://<64 hex digits of the key>/<name>, is all a viewer needs
// besides one bootstrap address.
type Channel struct {
	Key  ed25519.PublicKey
	Name string
}

// ErrChannel is wrapped by every channel parse error.
var ErrChannel = errors.New("chunk: bad channel")

// ValidName reports whether name is usable: 1-64 of [A-Za-z0-9._-].
func ValidName(name string) error {
	if len(name) == 0 || len(name) > MaxNameLen {
		return fmt.Errorf("%w: name must be 1-%d characters", ErrChannel, MaxNameLen)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("%w: name %q may only hold letters, digits, '.', '_' and '-'", ErrChannel, name)
		}
	}
	return nil
}

// NewChannel returns the channel of key and name.
func NewChannel(key ed25519.PublicKey, name string) (Channel, error) {
	if len(key) != ed25519.PublicKeySize {
		return Channel{}, fmt.Errorf("%w: key is %d bytes, not %d", ErrChannel, len(key), ed25519.PublicKeySize)
	}
	if err := ValidName(name); err != nil {
		return Channel{}, err
	}
	return Channel{Key: key, Name: name}, nil
}

// ParseChannel reads a channel string.
func ParseChannel(s string) (Channel, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), Scheme)
	if !ok {
		return Channel{}, fmt.Errorf("%w: %q does not start with %s", ErrChannel, s, Scheme)
	}
	keyHex, name, ok := strings.Cut(rest, "/")
	if !ok {
		return Channel{}, fmt.Errorf("%w: %q has no /name after the key", ErrChannel, s)
	}
	key, err := hex.DecodeString(keyHex)
	if err != nil || len(key) != ed25519.PublicKeySize {
		return Channel{}, fmt.Errorf("%w: key in %q is not %d hex digits", ErrChannel, s, 2*ed25519.PublicKeySize)
	}
	return NewChannel(ed25519.PublicKey(key), name)
}

// String returns the channel string.
func (c Channel) String() string {
	return Scheme + hex.EncodeToString(c.Key) + "/" + c.Name
}

// ID is the channel's key in the overlay: a hash of key and name. The
// node responsible for it is the channel's rendezvous point.
func (c Channel) ID() id.ID {
	b := make([]byte, 0, len(c.Key)+1+len(c.Name))
	b = append(b, c.Key...)
	b = append(b, '/')
	b = append(b, c.Name...)
	return id.Hash(b)
}
