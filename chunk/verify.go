package chunk

import (
	"crypto/ed25519"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// Every viewer verifies every chunk, so verification is a good part of a
// node's CPU (over QUIC, 200 viewers in one process: 12% of the streaming
// phase with crypto/ed25519). curve25519-voi verifies with the same
// acceptance rules as crypto/ed25519 (VerifyOptionsStdLib) in a little
// over half the time, and in less again with the key's tables computed
// once (a Verifier).

var stdLib = &voi.Options{Verify: voi.VerifyOptionsStdLib}

// Verifier checks signatures by one key. A node keeps one for its
// channel's key, so that the key's tables (1.5 KB) are computed once, at
// its first check, not per chunk. It is not safe for concurrent use.
type Verifier struct {
	key      ed25519.PublicKey
	expanded bool                   // exp was computed
	exp      *voi.ExpandedPublicKey // nil: not computed, or the key is not a point
}

// NewVerifier returns a verifier of key's signatures.
func NewVerifier(key ed25519.PublicKey) *Verifier {
	return &Verifier{key: key}
}

// verifySig reports whether sig is v's key's signature of msg, as
// ed25519.Verify does.
func (v *Verifier) verifySig(msg, sig []byte) bool {
	if !v.expanded {
		v.exp, _ = voi.NewExpandedPublicKey(voi.PublicKey(v.key))
		v.expanded = true
	}
	if v.exp == nil || len(sig) != ed25519.SignatureSize {
		return false // a key of the wrong length or not a point: crypto/ed25519 refuses every signature
	}
	return voi.VerifyExpandedWithOptions(v.exp, msg, sig, stdLib)
}

// verifySig reports whether sig is key's signature of msg, as
// ed25519.Verify does, with the key's tables computed for this check
// alone.
func verifySig(key ed25519.PublicKey, msg, sig []byte) bool {
	if len(key) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	return voi.VerifyWithOptions(voi.PublicKey(key), msg, sig, stdLib)
}
