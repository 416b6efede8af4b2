// Package batch runs one prompt template over every row of a CSV or JSONL
// file through the engine (deskchat batch run): it streams the input,
// checks and prices every row before anything is sent, asks with a bounded
// number of workers under RPM/TPM limits in the engine's batch lane,
// persists each row as it finishes (so that a run resumes after a kill) and
// writes the output in input order with memory bounded by the concurrency,
// never by the row count.
//
// One job per file: input.go reads rows, template.go fills prompts, plan.go
// is the first pass (checks and cost), run.go asks, limit.go paces,
// journal.go persists and resumes, output.go writes, progress.go reports.
//
// With --mode provider (RunProvider) the rows go through OpenAI's Batch
// API instead of the engine: provider.go is that run, provider_parts.go
// writes and sends its parts, provider_poll.go waits for them,
// provider_collect.go stores their answers, remote.go speaks the API.
package batch
