package chunk

import (
	"crypto/ed25519"
	"sync"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// Every viewer verifies every chunk, so verification is a good part of a
// node's CPU (over QUIC, 200 viewers in one process: 12% of the streaming
// phase with crypto/ed25519). curve25519-voi verifies with the same
// acceptance rules as crypto/ed25519 (VerifyOptionsStdLib) about twice as
// fast, and faster still with the key's precomputed tables, which are
// kept per key: a node checks chunks against the few channel keys it
// watches.

// maxExpanded bounds the keys whose tables are kept.
const maxExpanded = 64

var (
	expandedMu sync.RWMutex
	expanded   = map[[ed25519.PublicKeySize]byte]*voi.ExpandedPublicKey{}
	stdLib     = &voi.Options{Verify: voi.VerifyOptionsStdLib}
)

// verifySig reports whether sig is key's signature of msg, as
// ed25519.Verify does.
func verifySig(key ed25519.PublicKey, msg, sig []byte) bool {
	if len(key) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	ex := expandedKey(key)
	if ex == nil {
		return ed25519.Verify(key, msg, sig)
	}
	return voi.VerifyExpandedWithOptions(ex, msg, sig, stdLib)
}

// expandedKey returns key's precomputed tables, or nil if the key does
// not decode as a point or too many keys are kept already.
func expandedKey(key ed25519.PublicKey) *voi.ExpandedPublicKey {
	k := [ed25519.PublicKeySize]byte(key)
	expandedMu.RLock()
	ex, ok := expanded[k]
	expandedMu.RUnlock()
	if ok {
		return ex
	}
	expandedMu.Lock()
	defer expandedMu.Unlock()
	if ex, ok := expanded[k]; ok {
		return ex
	}
	if len(expanded) >= maxExpanded {
		return nil
	}
	ex, err := voi.NewExpandedPublicKey(voi.PublicKey(key))
	if err != nil {
		return nil
	}
	expanded[k] = ex
	return ex
}
