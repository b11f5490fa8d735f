package mpichan_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	mpichan "github.com/mpichan/mpichan/sdk"
)

func TestErrorsAreTestable(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", &mpichan.MismatchError{Param: "capacity", Min: "1", Max: "2"})
	var me *mpichan.MismatchError
	if !errors.Is(err, mpichan.ErrMismatch) || !errors.As(err, &me) || me.Max != "2" {
		t.Fatalf("MismatchError is not testable: %v", err)
	}
	de := &mpichan.DecodeError{Codec: "x", Err: context.Canceled}
	if !errors.Is(de, context.Canceled) {
		t.Fatal("DecodeError does not unwrap")
	}
}
