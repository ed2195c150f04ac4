package wire

import (
	"fmt"
)

// Any carries one registered message inside another (for example an
// application's payload inside an overlay route message). It encodes as a
// nested frame and decodes with the same limits as a top-level one.
type Any struct {
	M Message
}

// MarshalCBOR encodes the inner message as a byte string holding its frame.
func (a Any) MarshalCBOR() ([]byte, error) {
	if a.M == nil {
		return encMode.Marshal([]byte(nil))
	}
	frame, err := Encode(a.M)
	if err != nil {
		return nil, err
	}
	return encMode.Marshal(frame)
}

// UnmarshalCBOR decodes a nested frame.
func (a *Any) UnmarshalCBOR(b []byte) error {
	var frame []byte
	if err := decMode.Unmarshal(b, &frame); err != nil {
		return err
	}
	if len(frame) == 0 {
		a.M = nil
		return nil
	}
	if len(frame) >= HeaderLen {
		if s, ok := lookup(Type(frame[1])<<8 | Type(frame[2])); ok && s.nests {
			return fmt.Errorf("nested: %s may not be carried inside another message", s.name)
		}
	}
	m, err := Decode(frame)
	if err != nil {
		return fmt.Errorf("nested: %w", err)
	}
	a.M = m
	return nil
}
