package mpichan

import (
	"bytes"
	"testing"
)

// A codec's view of a message is exactly what it appends.
func TestCodecViews(t *testing.T) {
	check := func(name string, view, appended []byte) {
		if !bytes.Equal(view, appended) {
			t.Errorf("%s: view %v, Append %v", name, view, appended)
		}
	}
	a, _ := Bytes{}.Append(nil, []byte("raw"))
	check("Bytes", Bytes{}.view([]byte("raw")), a)
	a, _ = String{}.Append(nil, "text")
	check("String", String{}.view("text"), a)
	f := []float64{1, -2.5}
	sc := CodecFor[[]float64]().(Slice[[]float64])
	a, _ = sc.Append(nil, f)
	check("Slice", sc.view(f), a)
	check("empty Slice", Slice[[]int32]{}.view(nil), nil)
}
