// Package tools is deskchat's MCP client: it starts or reaches the MCP
// servers the user set up (store.ToolServer), lists their tools and runs
// them for the engine. A *Manager implements engine.Toolbox.
//
// Servers over stdio are started on first use, each in its own process
// group (so a server's own children go with it), and stopped as a group by
// Remove and Close; the last 4 KB of a server's stderr are kept for its
// State. A server that crashes is restarted once, with a sentence; after a
// second crash it stays failed until Set gives it again. Servers over
// streamable HTTP are reached with the headers the user gave.
//
// Every call is bounded (Options.CallTimeout, 60 s by default) and cancelled
// (MCP cancellation) when its context ends; results are cut at
// Options.MaxResultBytes (100 KB) with a note the model reads. A server that
// crashes, hangs or writes garbage gives a ToolResult with IsError and a
// sentence, never a panic or a hang.
//
// Secrets never reach the history: a server's Env and Header hold names,
// whose values are read through Options.Secret (the keychain, under
// SecretKey's names) or, for EnvFromProcess, from deskchat's own
// environment.
//
// A Manager is safe for concurrent use. Its zero value is not usable: make
// one with New. Models see a tool under FunctionName(server, tool); Names
// maps those back.
package tools
