// Package chat holds the widgets of one chat: for now the message box
// (Composer: Enter sends, Shift+Enter adds a line, the window's keys first).
// The message views and the chat's column are to follow it here from the
// root package.
package chat
