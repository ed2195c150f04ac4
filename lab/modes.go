package lab

// The lab runs every delivery mode there is.
import (
	_ "github.com/almcast/alm/direct"
)
