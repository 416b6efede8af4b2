package secrets

import "context"

type getenvKey struct{}

// WithGetenv returns a context under which Resolver.Key reads environment
// variables with getenv instead of its own Getenv: a command the window
// runs for the command line (package remote) reads the keys of the
// command line's environment, as it would running alone.
func WithGetenv(ctx context.Context, getenv func(string) string) context.Context {
	return context.WithValue(ctx, getenvKey{}, getenv)
}
