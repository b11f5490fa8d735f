package mpichan

import (
	"errors"
	"fmt"
)

// Errors returned by channel operations; test them with errors.Is.
var (
	// ErrClosed: a put on a channel that has been closed.
	ErrClosed = errors.New("mpichan: channel closed")
	// ErrTooLarge: the message needs more frames than the channel holds.
	// Nothing was written.
	ErrTooLarge = errors.New("mpichan: message larger than the channel's capacity")
	// ErrInvalid: a bad parameter (capacity, frame size, host rank, claim).
	ErrInvalid = errors.New("mpichan: invalid parameter")
	// ErrMismatch: ranks created the same channel with different parameters.
	ErrMismatch = errors.New("mpichan: ranks created the channel with different parameters")
	// ErrFreed: the channel has been freed.
	ErrFreed = errors.New("mpichan: channel freed")
	// ErrFull: TryPut found no free space.
	ErrFull = errors.New("mpichan: channel full")
	// ErrEmpty: TryTake found no message, but more are still expected.
	ErrEmpty = errors.New("mpichan: channel empty")
	// ErrNotInitialized: MPI has not been started with Init.
	ErrNotInitialized = errors.New("mpichan: MPI not initialized (call mpichan.Init first)")
)

// MismatchError details ErrMismatch: the first parameter whose value differs
// between ranks, with its smallest and largest value.
type MismatchError struct {
	Param    string
	Min, Max int64
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("mpichan: ranks created the channel with different %s (from %d to %d)", e.Param, e.Min, e.Max)
}

// Unwrap makes errors.Is(err, ErrMismatch) true.
func (e *MismatchError) Unwrap() error { return ErrMismatch }

// DecodeError is a message whose bytes the channel's codec could not decode.
// The message has been taken from the channel.
type DecodeError struct {
	Codec string
	Err   error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("mpichan: %s codec: decode: %v", e.Codec, e.Err)
}

// Unwrap returns the codec's error.
func (e *DecodeError) Unwrap() error { return e.Err }
