// Package bridge is the only place in the window that starts goroutines.
// Work that touches the disk or the network runs on a goroutine and hands
// its result back to the UI goroutine (fyne.Do in the app); a streamed
// answer is redrawn at most once a frame. Widgets never block.
package bridge
