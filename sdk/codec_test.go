package mpichan_test

import (
	"fmt"
	"reflect"
	"testing"

	mpichan "github.com/mpichan/mpichan/sdk"
)

type point struct {
	X, Y float64
	ID   int32
}

type record struct {
	Name string
	Tags map[string]int
}

func roundTrip[T any](t *testing.T, v T, wantCodec string) {
	t.Helper()
	c := mpichan.CodecFor[T]()
	if got := fmt.Sprintf("%T", c); got != wantCodec {
		t.Errorf("CodecFor[%T] = %s, want %s", v, got, wantCodec)
	}
	b, err := c.Append([]byte("prefix"), v)
	if err != nil {
		t.Fatalf("%T: append: %v", v, err)
	}
	got, err := c.Decode(b[len("prefix"):])
	if err != nil || !reflect.DeepEqual(got, v) {
		t.Fatalf("%T: round trip gave %v, %v; want %v", v, got, err, v)
	}
}

func TestCodecs(t *testing.T) {
	roundTrip(t, []byte("raw"), "mpichan.Bytes")
	roundTrip(t, "text", "mpichan.String")
	roundTrip(t, []float64{1.5, -2, 3e300}, "mpichan.Slice[[]float64]")
	roundTrip(t, []float32{1, 2}, "mpichan.Slice[[]float32]")
	roundTrip(t, []int64{-1, 1 << 62}, "mpichan.Slice[[]int64]")
	roundTrip(t, []point{{1, 2, 3}}, "mpichan.Slice[[]github.com/mpichan/mpichan/sdk_test.point]")
	roundTrip(t, []int32{}, "mpichan.Slice[[]int32]")
	roundTrip(t, 42.0, "mpichan.Fixed[float64]")
	roundTrip(t, int64(-7), "mpichan.Fixed[int64]")
	roundTrip(t, point{1, 2, 3}, "mpichan.Fixed[github.com/mpichan/mpichan/sdk_test.point]")
	roundTrip(t, [3]uint16{1, 2, 3}, "mpichan.Fixed[[3]uint16]")
	roundTrip(t, record{"r", map[string]int{"a": 1}}, "mpichan.Gob[github.com/mpichan/mpichan/sdk_test.record]")
	roundTrip(t, []string{"a", "b"}, "mpichan.Gob[[]string]")
}

// The zero Slice codec (no remembered element size) matches CodecFor's.
func TestZeroSliceCodec(t *testing.T) {
	v := []point{{1, 2, 3}, {4, 5, 6}}
	var zero mpichan.Slice[[]point]
	a, _ := zero.Append(nil, v)
	b, _ := mpichan.CodecFor[[]point]().Append(nil, v)
	got, err := zero.Decode(b)
	if string(a) != string(b) || err != nil || !reflect.DeepEqual(got, v) {
		t.Fatalf("zero Slice codec: %d vs %d bytes, decoded %v, %v", len(a), len(b), got, err)
	}
}

func TestCodecErrors(t *testing.T) {
	if _, err := (mpichan.Slice[[]float64]{}).Decode(make([]byte, 9)); err == nil {
		t.Error("Slice decoded 9 bytes as float64s")
	}
	if _, err := (mpichan.Fixed[int64]{}).Decode(make([]byte, 4)); err == nil {
		t.Error("Fixed decoded 4 bytes as an int64")
	}
	if _, err := (mpichan.Gob[record]{}).Decode([]byte("junk")); err == nil {
		t.Error("Gob decoded junk")
	}
	if _, err := (mpichan.Gob[func()]{}).Append(nil, func() {}); err == nil {
		t.Error("Gob encoded a func")
	}
}

// The Slice codec sends a []float64 as its memory: 8 bytes a number.
func ExampleSlice() {
	c := mpichan.CodecFor[[]float64]()
	b, _ := c.Append(nil, []float64{1, 2, 3})
	v, _ := c.Decode(b)
	fmt.Println(len(b), v)
	// Output: 24 [1 2 3]
}
