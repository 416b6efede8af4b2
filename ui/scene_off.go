//go:build !screenshots

package ui

// playScene does nothing in the app; builds with the screenshots tag stage
// a scene for the screenshot tests (scene.go).
func playScene(*window) {}
