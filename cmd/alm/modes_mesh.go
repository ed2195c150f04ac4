package main

// The data-driven mesh.
import (
	_ "github.com/almcast/alm/datadriven"
)
