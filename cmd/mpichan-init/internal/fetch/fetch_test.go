package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func fast() Options {
	return Options{Deadline: 5 * time.Second, WaitMin: time.Millisecond, WaitMax: 10 * time.Millisecond}
}

func TestGetRetriesThenSucceeds(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("data"))
	}))
	defer srv.Close()
	o := fast()
	sum := sha256.Sum256([]byte("data"))
	o.SHA256 = hex.EncodeToString(sum[:])
	b, err := Get(context.Background(), srv.URL, o)
	if err != nil || string(b) != "data" || n.Load() != 3 {
		t.Errorf("Get = %q, %v after %d requests", b, err, n.Load())
	}
}

func TestGetFailures(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		switch r.URL.Path {
		case "/gone":
			w.WriteHeader(http.StatusGone)
		case "/big":
			w.Write(make([]byte, 100))
		default:
			w.Write([]byte("data"))
		}
	}))
	defer srv.Close()
	for _, c := range []struct {
		url  string
		o    func(*Options)
		want string
	}{
		{srv.URL + "/gone", nil, "410 Gone (not retried"},
		{srv.URL + "/big", func(o *Options) { o.MaxBytes = 10 }, "larger than the limit"},
		{srv.URL + "/x", func(o *Options) { o.SHA256 = strings.Repeat("ab", 32) }, "SHA-256 mismatch"},
		{srv.URL + "/x", func(o *Options) { o.SHA256 = "xyz" }, "64 hexadecimal digits"},
		{"ftp://example.com/t", nil, "http:// or https://"},
	} {
		o := fast()
		if c.o != nil {
			c.o(&o)
		}
		_, err := Get(context.Background(), c.url, o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Get(%s): %v, want %q", c.url, err, c.want)
		}
	}
}

func TestPermanent(t *testing.T) {
	dns := &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}
	for _, c := range []struct {
		code int
		err  error
		want bool
	}{
		{404, nil, true}, {403, nil, true}, {429, nil, false}, {408, nil, false}, {503, nil, false},
		{0, dns, true}, {0, &net.DNSError{Err: "timeout", IsTimeout: true}, false},
	} {
		var resp *http.Response
		if c.code != 0 {
			resp = &http.Response{StatusCode: c.code}
		}
		if got := Permanent(resp, c.err); got != c.want {
			t.Errorf("Permanent(%d, %v) = %v, want %v", c.code, c.err, got, c.want)
		}
	}
}

// BenchmarkGet fetches a 4 MiB archive from a local server, with the
// SHA-256 check.
func BenchmarkGet(b *testing.B) {
	body := make([]byte, 4<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer srv.Close()
	sum := sha256.Sum256(body)
	o := Options{Deadline: time.Minute, SHA256: hex.EncodeToString(sum[:])}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := Get(context.Background(), srv.URL, o); err != nil {
			b.Fatal(err)
		}
	}
}
