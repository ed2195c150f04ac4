package id

// Ref names a node: its identifier and the transport address at which it
// can be reached. In the simulator the address is a node index written as
// text; over QUIC it is a UDP host:port.
type Ref struct {
	_    struct{} `cbor:",toarray"`
	ID   ID
	Addr string
}

// IsZero reports whether r names no node.
func (r Ref) IsZero() bool { return r.ID == Zero && r.Addr == "" }

// String returns the short ID and address, for logs.
func (r Ref) String() string { return r.ID.Short() + "@" + r.Addr }
