package main

import (
	"fmt"
	"net"
)

// validListen checks a listen address: a concrete IP (it is the address
// other nodes reach this one at) and a port.
func validListen(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-listen %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		return fmt.Errorf("-listen %q: need a concrete IP address such as 127.0.0.1", addr)
	}
	return nil
}
