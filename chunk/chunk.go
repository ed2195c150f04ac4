package chunk

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/almcast/alm/id"
	"github.com/almcast/alm/wire"
)

// Proto is the protocol name of chunks and metadata.
const Proto = "chunk"

// Wire types 500-519 belong to this package.
const (
	TypeChunk wire.Type = 500
	TypeMeta  wire.Type = 501
)

// Limits on what a chunk may carry.
const (
	MaxPackets    = 2048
	MaxPacketSize = 1500
	MaxChunkSize  = 512 << 10
	MaxSDPSize    = 16 << 10
)

// Errors of Verify; wrapped, so test with errors.Is.
var (
	ErrSignature = errors.New("chunk: bad signature")
	ErrChannelID = errors.New("chunk: chunk of another channel")
)

// Chunk is a slice of the stream: consecutive RTP packets with a sequence
// number and the source's timestamp, signed by the source. Chunks are
// immutable once signed.
type Chunk struct {
	_        struct{} `cbor:",toarray"`
	Channel  id.ID    // Channel.ID()
	Seq      uint64   // 0, 1, 2, ... in source order
	Time     int64    // source clock (ns) when the chunk's first packet arrived
	Duration int64    // ns of media the chunk covers
	Packets  [][]byte // RTP packets as received, in order
	Sig      []byte   // ed25519 over Digest()

	// verified remembers what this value was verified as: in the
	// simulator every node holds the same value, so the check is done
	// once (over QUIC every node decodes its own copy). A copy with any
	// field replaced does not match and is checked again. Not encoded.
	verified *stamp
	// raw is the CBOR body the value was decoded from in place
	// (DecodeBorrowed), which encoding it again gives back, while its
	// fields still match rawAs. Not encoded.
	raw   []byte
	rawAs stamp
}

// stamp identifies a verified chunk value: its key and fields, with the
// packet list and signature by identity.
type stamp struct {
	key                    string
	channel                id.ID
	seq, time, dur         int64
	packets                *[]byte
	npackets, nsig, sizeOf int
	sig                    *byte
}

func (c *Chunk) stamp(key ed25519.PublicKey) stamp {
	s := stamp{key: string(key), channel: c.Channel, seq: int64(c.Seq), time: c.Time, dur: c.Duration,
		npackets: len(c.Packets), nsig: len(c.Sig), sizeOf: c.Payload()}
	if len(c.Packets) > 0 {
		s.packets = &c.Packets[0]
	}
	if len(c.Sig) > 0 {
		s.sig = &c.Sig[0]
	}
	return s
}

// WireType implements wire.Message.
func (*Chunk) WireType() wire.Type { return TypeChunk }

// Validate bounds the packet list.
func (c *Chunk) Validate() error {
	if len(c.Packets) > MaxPackets {
		return fmt.Errorf("%d packets, limit %d", len(c.Packets), MaxPackets)
	}
	for _, p := range c.Packets {
		if len(p) > MaxPacketSize {
			return fmt.Errorf("packet of %d bytes, limit %d", len(p), MaxPacketSize)
		}
	}
	if len(c.Sig) != ed25519.SignatureSize {
		return fmt.Errorf("signature of %d bytes", len(c.Sig))
	}
	return nil
}

// Payload returns the media bytes the chunk carries.
func (c *Chunk) Payload() int {
	n := 0
	for _, p := range c.Packets {
		n += len(p)
	}
	return n
}

// Timestamp is Time as a duration on the source's clock.
func (c *Chunk) Timestamp() time.Duration { return time.Duration(c.Time) }

// WireSize implements wire.Sizer without encoding the packets.
func (c *Chunk) WireSize() int {
	n := 1 + wire.BytesSize(len(c.Channel)) + wire.HeadSize(c.Seq) + wire.IntSize(c.Time) +
		wire.IntSize(c.Duration) + wire.HeadSize(uint64(len(c.Packets))) + wire.BytesSize(len(c.Sig))
	if c.Packets == nil {
		n = n - wire.HeadSize(0) + 1
	}
	for _, p := range c.Packets {
		n += wire.BytesSize(len(p))
	}
	if c.Sig == nil {
		n = n - wire.BytesSize(0) + 1
	}
	return wire.FrameSize(n)
}

// Digest is what the source signs: a domain tag and every field but the
// signature.
func (c *Chunk) Digest() [32]byte {
	h := sha256.New()
	var b [8]byte
	h.Write([]byte("alm chunk v1\x00"))
	h.Write(c.Channel[:])
	for _, v := range []uint64{c.Seq, uint64(c.Time), uint64(c.Duration), uint64(len(c.Packets))} {
		binary.BigEndian.PutUint64(b[:], v)
		h.Write(b[:])
	}
	for _, p := range c.Packets {
		binary.BigEndian.PutUint64(b[:], uint64(len(p)))
		h.Write(b[:])
		h.Write(p)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Sign signs the chunk with the source's key.
func (c *Chunk) Sign(key ed25519.PrivateKey) {
	d := c.Digest()
	c.Sig = ed25519.Sign(key, d[:])
}

// Verify checks that the chunk belongs to ch and was signed by its key.
func (c *Chunk) Verify(ch Channel) error {
	if c.Channel != ch.ID() {
		return ErrChannelID
	}
	return c.VerifyKey(ch.Key)
}

// VerifyKey checks the signature against key only (the caller has checked
// the channel ID).
func (c *Chunk) VerifyKey(key ed25519.PublicKey) error {
	return c.verify(key, func(d []byte) bool { return verifySig(key, d, c.Sig) })
}

// VerifyWith checks the signature with v, which keeps its key's tables
// between chunks (the caller has checked the channel ID).
func (c *Chunk) VerifyWith(v *Verifier) error {
	return c.verify(v.key, func(d []byte) bool { return v.verifySig(d, c.Sig) })
}

// verify checks the signature by key with check, unless this value was
// verified by key before.
func (c *Chunk) verify(key ed25519.PublicKey, check func(digest []byte) bool) error {
	st := c.stamp(key)
	if c.verified != nil && *c.verified == st {
		return nil
	}
	d := c.Digest()
	if !check(d[:]) {
		return ErrSignature
	}
	c.verified = &st
	return nil
}

// Meta is a channel's signed metadata: the SDP of the stream and its
// chunking, sent to every viewer when it joins.
type Meta struct {
	_             struct{} `cbor:",toarray"`
	Channel       id.ID
	Name          string
	Key           []byte // the source's public key
	SDP           string // session description of the RTP the source ingests
	ChunkDuration int64  // ns
	Rate          int64  // nominal stream rate, bit/s
	Start         int64  // source clock (ns) of chunk 0 (negative when the first chunk's number is above 0)
	Mode          string // the delivery mode the source runs
	Sig           []byte
}

// WireType implements wire.Message.
func (*Meta) WireType() wire.Type { return TypeMeta }

// Validate bounds the fields.
func (m *Meta) Validate() error {
	if len(m.SDP) > MaxSDPSize || len(m.Mode) > 32 || len(m.Key) != ed25519.PublicKeySize || len(m.Sig) != ed25519.SignatureSize {
		return errors.New("bad metadata sizes")
	}
	return ValidName(m.Name)
}

func (m *Meta) digest() []byte {
	h := sha256.New()
	var b [8]byte
	h.Write([]byte("alm meta v1\x00"))
	h.Write(m.Channel[:])
	h.Write(m.Key)
	for _, s := range []string{m.Name, m.SDP, m.Mode} {
		binary.BigEndian.PutUint64(b[:], uint64(len(s)))
		h.Write(b[:])
		h.Write([]byte(s))
	}
	for _, v := range []int64{m.ChunkDuration, m.Rate, m.Start} {
		binary.BigEndian.PutUint64(b[:], uint64(v))
		h.Write(b[:])
	}
	return h.Sum(nil)
}

// Sign signs the metadata.
func (m *Meta) Sign(key ed25519.PrivateKey) { m.Sig = ed25519.Sign(key, m.digest()) }

// Verify checks the metadata against the channel.
func (m *Meta) Verify(ch Channel) error {
	if m.Channel != ch.ID() || m.Name != ch.Name || !ed25519.PublicKey(m.Key).Equal(ch.Key) {
		return ErrChannelID
	}
	if !verifySig(ch.Key, m.digest(), m.Sig) {
		return ErrSignature
	}
	return nil
}

func init() {
	wire.Register(TypeChunk, "chunk.chunk", Proto, MaxChunkSize+4096, func() wire.Message { return new(Chunk) })
	wire.Register(TypeMeta, "chunk.meta", Proto, MaxSDPSize+1024, func() wire.Message { return new(Meta) })
}
