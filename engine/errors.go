package engine

import (
	"context"
	"errors"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// ProviderError is a classified failure; see llm.ProviderError.
type ProviderError = llm.ProviderError

// ErrorKind classifies a provider failure; see llm.ErrorKind.
type ErrorKind = llm.ErrorKind

// Error kinds the window and the CLI tell apart; the others are in llm.
const (
	KindAuth        = llm.KindAuth
	KindRateLimited = llm.KindRateLimited
	KindServer      = llm.KindServer
	KindConnection  = llm.KindConnection
	KindConfig      = llm.KindConfig
	KindStalled     = llm.KindStalled
)

// Usage is the token count a provider reports for one answer.
type Usage = llm.Usage

// UserMessage returns the sentence to show the user for err.
func UserMessage(err error) string {
	var pe *ProviderError
	if errors.As(err, &pe) {
		return pe.Sentence
	}
	var se *store.Error
	if errors.As(err, &se) || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrLocked) {
		return store.UserMessage(err)
	}
	if errors.Is(err, context.Canceled) {
		return "Stopped."
	}
	return "Something went wrong while getting the answer."
}
