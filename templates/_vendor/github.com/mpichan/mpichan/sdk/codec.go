package mpichan

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"reflect"
	"unsafe"
)

// Codec turns messages of type T into bytes and back. Decode owns b and may
// keep it. All ranks of a job run on one architecture, so the built-in
// codecs use the machine's native byte order.
type Codec[T any] interface {
	Append(dst []byte, v T) ([]byte, error)
	Decode(b []byte) (T, error)
}

// CodecFor picks the built-in codec for T: Bytes for []byte, String for
// string, Slice for slices of numbers, Fixed for pointer-free fixed-size
// types (scalars, arrays, structs), and Gob for everything else.
func CodecFor[T any]() Codec[T] {
	var zero T
	switch any(zero).(type) {
	case []byte:
		return any(Bytes{}).(Codec[T])
	case string:
		return any(String{}).(Codec[T])
	}
	t := reflect.TypeFor[T]()
	if t.Kind() == reflect.Slice && isFixed(t.Elem()) {
		return Slice[T]{elemSize: t.Elem().Size(), elemAlign: uintptr(t.Elem().Align())}
	}
	if isFixed(t) {
		return Fixed[T]{}
	}
	return Gob[T]{}
}

// codecName names a codec for error messages and for the creation check.
func codecName[T any](c Codec[T]) string {
	return fmt.Sprintf("%T/%v", c, reflect.TypeFor[T]())
}

// viewer is a codec that can show a message's bytes without copying them;
// Put then frames small messages without an intermediate buffer.
type viewer[T any] interface {
	view(v T) []byte
}

// Bytes sends a []byte as it is.
type Bytes struct{}

func (Bytes) view(v []byte) []byte { return v }

// Append appends v.
func (Bytes) Append(dst []byte, v []byte) ([]byte, error) { return append(dst, v...), nil }

// Decode returns b itself.
func (Bytes) Decode(b []byte) ([]byte, error) { return b, nil }

// String sends a string's bytes.
type String struct{}

func (String) view(v string) []byte { return unsafe.Slice(unsafe.StringData(v), len(v)) }

// Append appends v.
func (String) Append(dst []byte, v string) ([]byte, error) { return append(dst, v...), nil }

// Decode converts b.
func (String) Decode(b []byte) (string, error) { return string(b), nil }

// Slice sends a slice of pointer-free elements ([]float64, []int64, []P
// for a plain struct P, ...) as one block of memory, with no per-element
// encoding. Its zero value works; CodecFor's also remembers the element's
// size and alignment.
type Slice[T any] struct {
	elemSize, elemAlign uintptr
}

// elem is the element's size and alignment.
func (s Slice[T]) elem() (size, align uintptr) {
	if s.elemSize == 0 {
		e := reflect.TypeFor[T]().Elem()
		return e.Size(), uintptr(e.Align())
	}
	return s.elemSize, s.elemAlign
}

func (s Slice[T]) view(v T) []byte {
	h := (*sliceHeader)(unsafe.Pointer(&v))
	size, _ := s.elem()
	return unsafe.Slice((*byte)(h.data), uintptr(h.len)*size)
}

// sliceHeader is the memory layout of every Go slice.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// Append appends the slice's memory.
func (s Slice[T]) Append(dst []byte, v T) ([]byte, error) {
	return append(dst, s.view(v)...), nil
}

// Decode returns the elements in b: b itself when it is aligned for them
// (Decode owns b), a copy otherwise.
func (s Slice[T]) Decode(b []byte) (T, error) {
	var v T
	esize, align := s.elem()
	size := int(esize)
	if size == 0 || len(b)%size != 0 {
		return v, fmt.Errorf("%d bytes is not a whole number of %v", len(b), reflect.TypeFor[T]().Elem())
	}
	if len(b) == 0 {
		return reflect.MakeSlice(reflect.TypeFor[T](), 0, 0).Interface().(T), nil
	}
	if uintptr(unsafe.Pointer(&b[0]))%align != 0 {
		b = append(make([]byte, 0, len(b)+8)[:0], b...) // Go allocations are 8-byte aligned
	}
	*(*sliceHeader)(unsafe.Pointer(&v)) = sliceHeader{unsafe.Pointer(&b[0]), len(b) / size, len(b) / size}
	return v, nil
}

// Fixed sends a pointer-free value of fixed size (a number, an array, a
// struct of those) as its memory.
type Fixed[T any] struct{}

// Append appends v's memory.
func (Fixed[T]) Append(dst []byte, v T) ([]byte, error) {
	return append(dst, unsafe.Slice((*byte)(unsafe.Pointer(&v)), unsafe.Sizeof(v))...), nil
}

// Decode copies b into a T; b must be exactly T's size.
func (Fixed[T]) Decode(b []byte) (T, error) {
	var v T
	if len(b) != int(unsafe.Sizeof(v)) {
		return v, fmt.Errorf("%d bytes for a %d-byte %T", len(b), unsafe.Sizeof(v), v)
	}
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&v)), len(b)), b)
	return v, nil
}

// Gob sends any gob-encodable value; each message is self-contained.
type Gob[T any] struct{}

// Append gob-encodes v.
func (Gob[T]) Append(dst []byte, v T) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	err := gob.NewEncoder(buf).Encode(&v)
	return buf.Bytes(), err
}

// Decode gob-decodes b.
func (Gob[T]) Decode(b []byte) (T, error) {
	var v T
	err := gob.NewDecoder(bytes.NewReader(b)).Decode(&v)
	return v, err
}

// isFixed reports whether t holds no pointers and has a fixed size.
func isFixed(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return true
	case reflect.Array:
		return isFixed(t.Elem())
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if !isFixed(t.Field(i).Type) {
				return false
			}
		}
		return true
	}
	return false
}
