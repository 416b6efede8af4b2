// Package remote lets the command line run its commands inside the open
// window, so that one process holds the history and one engine serves
// every request (one queue, one set of limits, one cache, one breaker).
//
// While the window runs, it serves a Unix socket, DATA_DIR/deskchat.sock
// (Listen, Server.Serve). A command line that finds it (Dial) sends its
// command (Request: arguments, working folder, environment, which of its
// streams are terminals) and then relays: the window asks for stdin when
// the command reads it, sends stdout and stderr as they are written, and
// ends with the exit code. Ctrl-C on the client cancels the command in the
// window; a client that goes away cancels it too.
//
// The protocol, version Version, over one connection per command:
//
//	frame   = length (4 bytes, big endian; of what follows the type byte)
//	          type (1 byte) payload (length bytes, at most MaxFrame)
//	client: 'H' hello: JSON Request, the first frame, within HelloTimeout
//	server: 'W' welcome: JSON {"version":N,"refused":"sentence"}
//	server: 'R' / 'P' read up to N bytes of stdin (4 bytes) / a line typed
//	        without echo; client: 'I' the bytes, or 'Z' stdin ended
//	server: 'O' stdout bytes, 'E' stderr bytes
//	client: 'C' cancel (Ctrl-C)
//	server: 'X' exit code (4 bytes), the last frame
//
// The framing never changes; a client and a window of other versions
// recognise each other in the hello and the client says so in one sentence.
// The server refuses a peer of another user (SO_PEERCRED) and a client
// refuses a socket file another user owns. Stdin is read only when the
// command asks for it, so a command that does not read stdin leaves it to
// the caller, as when it runs alone.
//
// A Server is safe for concurrent connections; a Conn runs one command.
package remote
