//go:build !linux

package qnet

// splitSegment returns oob unchanged: segmentation offload is Linux's.
func splitSegment(oob []byte) (seg int, rest []byte) { return 0, oob }
