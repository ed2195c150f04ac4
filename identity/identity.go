// Package identity gives a node its ed25519 key, the node ID derived from
// it, and the TLS 1.3 configurations that prove that ID to peers: each side
// presents a self-signed certificate made from its key, and the client
// checks that the server's key hashes to the ID it meant to reach.
package identity

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/almcast/alm/id"
)

// pemType is the PEM block type of a PKCS#8 private key.
const pemType = "PRIVATE KEY"

// Generate returns a new random ed25519 private key.
func Generate() (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("identity: generate key: %w", err)
	}
	return priv, nil
}

// Load reads the PEM-encoded PKCS#8 ed25519 private key at path. If the file
// does not exist, a new key is generated and written there with mode 0600;
// the parent directory must already exist.
func Load(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return create(path)
	}
	if err != nil {
		return nil, fmt.Errorf("identity: read key: %w", err)
	}
	return Parse(b)
}

// Parse decodes a PEM-encoded PKCS#8 ed25519 private key.
func Parse(b []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != pemType {
		return nil, fmt.Errorf("identity: parse key: %w", ErrNotKey)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("identity: parse key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("identity: parse key: %w: %T", ErrKeyType, k)
	}
	return priv, nil
}

// Marshal encodes priv as a PEM PKCS#8 block, the format Load reads.
func Marshal(priv ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("identity: marshal key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: der}), nil
}

func create(path string) (ed25519.PrivateKey, error) {
	priv, err := Generate()
	if err != nil {
		return nil, err
	}
	b, err := Marshal(priv)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("identity: create key: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("identity: write key: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("identity: write key: %w", err)
	}
	return priv, nil
}

// ID returns the node ID of the holder of pub.
func ID(pub ed25519.PublicKey) id.ID { return id.FromPublicKey(pub) }

// KeyID returns the node ID of the holder of priv.
func KeyID(priv ed25519.PrivateKey) id.ID {
	return id.FromPublicKey(priv.Public().(ed25519.PublicKey))
}
