package wire

// Exact CBOR sizes, for messages that implement Sizer without encoding.

// HeadSize is the size of a CBOR item head carrying the value v (an
// unsigned integer, or the length of a string or array).
func HeadSize(v uint64) int {
	switch {
	case v < 24:
		return 1
	case v < 1<<8:
		return 2
	case v < 1<<16:
		return 3
	case v < 1<<32:
		return 5
	}
	return 9
}

// IntSize is the encoded size of a signed integer.
func IntSize(v int64) int {
	if v < 0 {
		return HeadSize(uint64(-1 - v))
	}
	return HeadSize(uint64(v))
}

// BytesSize is the encoded size of a byte or text string of n bytes.
func BytesSize(n int) int { return HeadSize(uint64(n)) + n }

// FrameSize is the size of a frame whose CBOR body has the given size.
func FrameSize(body int) int { return HeaderLen + body }

// AnySize is the encoded size of an Any inside another message.
func AnySize(a Any) int {
	if a.M == nil {
		return 1
	}
	return BytesSize(Size(a.M))
}
