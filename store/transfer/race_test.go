//go:build race

package transfer

// raceEnabled: the race detector slows byte loops about tenfold, so tests
// that read large files read smaller ones.
const raceEnabled = true
