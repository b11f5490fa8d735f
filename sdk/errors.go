package mpichan

import (
	"errors"
	"fmt"

	"github.com/mpichan/mpichan/sdk/internal/rma"
)

// The errors of channel operations. Test for them with errors.Is: the
// errors returned often wrap them with details.
var (
	// ErrClosed is returned by Put, TryPut and PutF after any rank has
	// closed the channel.
	ErrClosed = errors.New("mpichan: channel closed")
	// ErrTooLarge is returned by a put whose message needs more frames than
	// the channel holds. Nothing was written.
	ErrTooLarge = errors.New("mpichan: message larger than the channel's capacity")
	// ErrInvalid is returned by New for bad options (on every rank), by
	// Claim for a negative or huge count, and by Init for a bad
	// MPICHAN_HEAP_FLOOR_MB.
	ErrInvalid = errors.New("mpichan: invalid parameter")
	// ErrMismatch is returned by New, on every rank, when ranks passed
	// different options or message types; the error is a *MismatchError.
	ErrMismatch = errors.New("mpichan: ranks created the channel with different parameters")
	// ErrFreed is returned by every operation on a channel after Free.
	ErrFreed = errors.New("mpichan: channel freed")
	// ErrFull is returned by TryPut when the channel has no room now.
	ErrFull = errors.New("mpichan: channel full")
	// ErrEmpty is returned by TryTake when the channel holds no message now
	// but more are expected.
	ErrEmpty = errors.New("mpichan: channel empty")
	// ErrNotInitialized is returned by New before Init or after Finalize.
	// World, Rank and Size panic with it there.
	ErrNotInitialized = errors.New("mpichan: MPI not initialized (call mpichan.Init first)")
	// ErrFailed is wrapped by the error of every put and take after a
	// rank failed the channel (CloseWithError); the error is a
	// *FailedError.
	ErrFailed = errors.New("mpichan: channel failed")
)

// FailedError is the error of puts and takes on a channel that a rank
// ended with CloseWithError: the rank, and the text of its error (cut to
// a few hundred bytes).
type FailedError struct {
	Rank int
	Text string
}

func (e *FailedError) Error() string {
	return fmt.Sprintf("mpichan: channel failed by rank %d: %s", e.Rank, e.Text)
}

// Unwrap returns ErrFailed.
func (e *FailedError) Unwrap() error { return ErrFailed }

// MismatchError is the error New returns on every rank when ranks created
// a channel with different parameters. It names the first parameter that
// differs and two of its values: the smallest and largest number, or, for
// the message type, the types (and codecs) of two ranks that differ.
type MismatchError struct {
	Param    string
	Min, Max string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("mpichan: ranks created the channel with different %s (%s on some ranks, %s on others)", e.Param, e.Min, e.Max)
}

// Unwrap makes errors.Is(err, ErrMismatch) true.
func (e *MismatchError) Unwrap() error { return ErrMismatch }

// DecodeError is the error of a take whose message the channel's codec could
// not decode. The message has been taken from the channel.
type DecodeError struct {
	Codec string
	Err   error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("mpichan: %s codec: decode: %v", e.Codec, e.Err)
}

// Unwrap returns the codec's error.
func (e *DecodeError) Unwrap() error { return e.Err }

// MPIError is an MPI call that failed: every error that MPI itself reports
// to the SDK is one. Find it with errors.As.
type MPIError struct {
	Op    string // the MPI call, or the channel step ("put", "take") that made it
	Code  int    // MPI's error code
	Class int    // its error class (MPI_Error_class), -1 if MPI does not know the code
	Text  string // MPI_Error_string's text for the code
}

func (e *MPIError) Error() string {
	return fmt.Sprintf("mpichan: %s failed: MPI error %d (class %d): %s", e.Op, e.Code, e.Class, e.Text)
}

func newMPIError(op string, code int) error {
	class, text := rma.ErrorText(code)
	return &MPIError{Op: op, Code: code, Class: class, Text: text}
}

func init() { rma.NewError = newMPIError }
