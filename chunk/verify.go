package chunk

import (
	"crypto/ed25519"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// Every viewer verifies every chunk, so verification is a good part of a
// node's CPU (over QUIC, 200 viewers in one process: 12% of the streaming
// phase with crypto/ed25519). curve25519-voi verifies with the same
// acceptance rules as crypto/ed25519 (VerifyOptionsStdLib) in a little
// over half the time.

var stdLib = &voi.Options{Verify: voi.VerifyOptionsStdLib}

// verifySig reports whether sig is key's signature of msg, as
// ed25519.Verify does.
func verifySig(key ed25519.PublicKey, msg, sig []byte) bool {
	if len(key) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	return voi.VerifyWithOptions(voi.PublicKey(key), msg, sig, stdLib)
}
