//go:build race

package crashtest

// raceBuild says that this test binary has the race detector (see
// childBinary).
const raceBuild = true
