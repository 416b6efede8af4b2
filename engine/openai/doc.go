// Package openai is the adapter for OpenAI, Azure OpenAI and every
// OpenAI-compatible endpoint (Ollama, LM Studio, OpenRouter, DeepSeek, Groq,
// Gemini's and Anthropic's compatibility endpoints, …), built on go-openai.
//
// Adapter implements llm.Adapter. Beneath go-openai, the transport of
// NewHTTPClient normalises what servers send (comment and event lines of an
// SSE stream, data lines of many megabytes, a JSON body where a stream was
// asked for) and keeps what go-openai does not expose (the error body, the
// headers that say how long to wait). ListModels reads a provider's model
// list; Presets are the endpoints the settings offer. Every error is a
// *llm.ProviderError scrubbed of the key sent.
//
// Tools (toolwire.go, toolcalls.go): a request offers its llm.Tools as
// functions and carries the tool conversation (an assistant's tool_calls,
// tool messages naming their call) as providers accept it; an answer's
// streamed tool call deltas are assembled by index, whatever the dialect,
// and handed on whole with the chunk that finishes the answer (or on one
// chunk of their own when the stream ends without a finish, also when it
// breaks: the error follows). At most MaxToolCalls calls, and their
// arguments count toward llm.MaxAnswerBytes with the answer's text.
package openai
