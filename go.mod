module github.com/almcast/alm

go 1.26.8

require (
	github.com/fxamacker/cbor/v2 v2.9.6
	github.com/pion/rtp v1.10.6
	github.com/pion/sdp/v3 v3.0.20
	github.com/quic-go/quic-go v0.65.0
)

require (
	github.com/pion/randutil v0.1.0 // indirect
	github.com/x448/float16 v0.8.4 // indirect
	golang.org/x/crypto v0.54.0 // indirect
	golang.org/x/net v0.56.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
)
