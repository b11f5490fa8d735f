package jobkit

import (
	"context"
	"iter"

	mpichan "github.com/mpichan/mpichan/sdk"
)

// Work is a task farm's worker: it takes tasks until none is left and puts
// do's result for each into results. It stops at the first error.
func Work[T, R any](ctx context.Context, tasks *mpichan.Channel[T], results *mpichan.Channel[R], do func(T) (R, error)) error {
	for task, err := range tasks.All(ctx) {
		if err != nil {
			return err
		}
		r, err := do(task)
		if err != nil {
			return err
		}
		if err := results.Put(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// PutAll puts every value of seq into ch, in order. It stops at the first
// error.
func PutAll[T any](ctx context.Context, ch *mpichan.Channel[T], seq iter.Seq[T]) error {
	for v := range seq {
		if err := ch.Put(ctx, v); err != nil {
			return err
		}
	}
	return nil
}
