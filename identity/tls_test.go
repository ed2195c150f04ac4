package identity

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/almcast/alm/id"
)

func mustKey(t *testing.T) (k []byte, i id.ID) {
	t.Helper()
	priv, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	return priv, KeyID(priv)
}

type result struct {
	cs  tls.ConnectionState
	err error
}

// handshake runs a TLS handshake over a loopback TCP connection.
func handshake(t testing.TB, client, server *tls.Config) (c, s result) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan result, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		sc := tls.Server(conn, server)
		err = sc.Handshake()
		done <- result{sc.ConnectionState(), err}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	cc := tls.Client(conn, client)
	err = cc.Handshake()
	if err == nil {
		// In TLS 1.3 the server verifies the client's certificate after the
		// client has finished; read to learn whether it was accepted.
		cc.Read(make([]byte, 1))
	}
	conn.Close()
	c = result{cc.ConnectionState(), err}
	s = <-done
	return c, s
}

func TestHandshakeAuthenticatesBothSides(t *testing.T) {
	ck, cid := mustKey(t)
	sk, sid := mustKey(t)
	c, s := handshake(t, ClientConfig(ck, ALPN, sid), ServerConfig(sk, ALPN))
	if c.err != nil || s.err != nil {
		t.Fatalf("client %v, server %v", c.err, s.err)
	}
	if c.cs.Version != tls.VersionTLS13 || c.cs.NegotiatedProtocol != ALPN {
		t.Errorf("version %x, alpn %q", c.cs.Version, c.cs.NegotiatedProtocol)
	}
	if got, err := PeerID(c.cs); err != nil || got != sid {
		t.Errorf("client sees %v %v, want %v", got, err, sid)
	}
	if got, err := PeerID(s.cs); err != nil || got != cid {
		t.Errorf("server sees %v %v, want %v", got, err, cid)
	}
}

func TestHandshakeRejectsWrongID(t *testing.T) {
	ck, _ := mustKey(t)
	sk, _ := mustKey(t)
	_, other := mustKey(t)
	c, _ := handshake(t, ClientConfig(ck, ALPN, other), ServerConfig(sk, ALPN))
	if !errors.Is(c.err, ErrIDMismatch) {
		t.Fatalf("client err %v, want ErrIDMismatch", c.err)
	}
}

func TestZeroExpectAcceptsAnyKey(t *testing.T) {
	ck, _ := mustKey(t)
	sk, sid := mustKey(t)
	c, s := handshake(t, ClientConfig(ck, ALPN, id.Zero), ServerConfig(sk, ALPN))
	if c.err != nil || s.err != nil {
		t.Fatalf("client %v, server %v", c.err, s.err)
	}
	if got, err := PeerID(c.cs); err != nil || got != sid {
		t.Errorf("client sees %v %v, want %v", got, err, sid)
	}
}

func TestServerRejectsNonEd25519Client(t *testing.T) {
	sk, sid := mustKey(t)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ec.PublicKey, ec)
	if err != nil {
		t.Fatal(err)
	}
	ck, _ := mustKey(t)
	client := ClientConfig(ck, ALPN, sid)
	client.Certificates = []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: ec}}
	_, s := handshake(t, client, ServerConfig(sk, ALPN))
	if !errors.Is(s.err, ErrKeyType) {
		t.Fatalf("server err %v, want ErrKeyType", s.err)
	}
}

func TestServerRequiresClientCert(t *testing.T) {
	sk, sid := mustKey(t)
	ck, _ := mustKey(t)
	client := ClientConfig(ck, ALPN, sid)
	client.Certificates = nil
	_, s := handshake(t, client, ServerConfig(sk, ALPN))
	if s.err == nil {
		t.Fatal("server accepted a client without a certificate")
	}
}

func TestCertificateCached(t *testing.T) {
	k, _ := mustKey(t)
	a, err := Certificate(k)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Certificate(k)
	if err != nil {
		t.Fatal(err)
	}
	if a.Leaf != b.Leaf {
		t.Error("certificate not cached")
	}
}

// BenchmarkHandshake compares a handshake with the key exchange the node
// uses (X25519) against the hybrid post-quantum default of crypto/tls.
func BenchmarkHandshake(b *testing.B) {
	cpriv, _ := Generate()
	spriv, _ := Generate()
	for _, c := range []struct {
		name   string
		curves []tls.CurveID
	}{{"x25519", nil}, {"x25519mlkem768", []tls.CurveID{tls.X25519MLKEM768, tls.X25519}}} {
		b.Run(c.name, func(b *testing.B) {
			cc, sc := ClientConfig(cpriv, "b", KeyID(spriv)), ServerConfig(spriv, "b")
			if c.curves != nil {
				cc.CurvePreferences, sc.CurvePreferences = c.curves, c.curves
			}
			for b.Loop() {
				if cr, sr := handshake(b, cc, sc); cr.err != nil || sr.err != nil {
					b.Fatal(cr.err, sr.err)
				}
			}
		})
	}
}
