package env

// Loop runs functions on a node's event loop. Runtimes implement it so that
// drivers (the CLI, the lab, tests) can call into a node's protocol cores
// without racing the runtime.
type Loop interface {
	Do(f func())
}
