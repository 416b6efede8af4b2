// Package chat holds the widgets of one chat: the message box (Composer:
// Enter sends, Shift+Enter adds a line, the window's keys first), the
// column its messages are laid out in (ReadingColumn: at most a reading
// width, centred; comparisons take the whole width) and one message
// (Message: bubble, status line, actions, folded reasoning). The chat's
// scrolling view is still in the root package.
package chat
