// Package crashtest holds deskchat's crash-safety test (issue 5, item 1).
//
// TestCrashSafety runs "deskchat ask" in a child process (the test binary
// itself, re-executed into TestHelperChild) against a slow local
// OpenAI-compatible server and kills it with SIGKILL at random moments:
// before the request reaches the server, while the answer streams, and
// after it has completed. After every kill the database must open, pass
// bbolt's consistency check, keep every earlier message exactly as it was,
// and hold the killed answer as "interrupted" (or "done" when it had
// completed), missing at most the text of the last 250 ms.
//
// Environment:
//
//	DESKCHAT_CRASH_ITERATIONS  number of children to run and kill (default 50; make stress: 500)
//	DESKCHAT_CRASH_SEED        seed of the random plan, to replay a failing run (default: the clock)
//
// The package has no non-test code.
package crashtest
