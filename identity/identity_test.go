package identity

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/almcast/alm/id"
)

func TestGenerate(t *testing.T) {
	a, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != ed25519.PrivateKeySize || bytes.Equal(a, b) {
		t.Fatal("keys not random")
	}
	pub := a.Public().(ed25519.PublicKey)
	if ID(pub) != id.FromPublicKey(pub) || KeyID(a) != ID(pub) {
		t.Error("ID does not match id.FromPublicKey")
	}
}

func TestLoadCreatesAndReloads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.key")
	k1, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	k2, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k1, k2) {
		t.Error("reloaded key differs")
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "missing", "node.key")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing parent: err %v", err)
	}
	bad := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(bad, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); !errors.Is(err, ErrNotKey) {
		t.Errorf("garbage: err %v", err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	ecPath := filepath.Join(dir, "ec.key")
	if err := os.WriteFile(ecPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(ecPath)
	if !errors.Is(err, ErrKeyType) {
		t.Errorf("ecdsa key: err %v", err)
	}
	if err != nil && err.Error()[:10] != "identity: " {
		t.Errorf("error %q lacks prefix", err)
	}
}
