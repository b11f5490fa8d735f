// Package fetch downloads a remote template archive with retries, a total
// deadline, a size limit and an optional SHA-256 check.
package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Options tune Get; zero values take the defaults noted.
type Options struct {
	Deadline time.Duration // total time for all attempts (default 2m)
	PerTry   time.Duration // time for one attempt (default Deadline/3)
	RetryMax int           // retries after the first attempt (default 4)
	WaitMin  time.Duration // first backoff (default 500ms)
	WaitMax  time.Duration // largest backoff (default 10s)
	MaxBytes int64         // largest archive accepted (default 64 MiB)
	SHA256   string        // expected hex digest, if set
	Log      io.Writer     // where retries are reported, if set
}

func (o Options) withDefaults() Options {
	if o.Deadline <= 0 {
		o.Deadline = 2 * time.Minute
	}
	if o.PerTry <= 0 {
		o.PerTry = o.Deadline / 3
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 4
	}
	if o.WaitMin <= 0 {
		o.WaitMin = 500 * time.Millisecond
	}
	if o.WaitMax <= 0 {
		o.WaitMax = 10 * time.Second
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 64 << 20
	}
	return o
}

// Get downloads url. It retries with exponential backoff on connection
// errors, per-attempt timeouts, 429 and 5xx answers, and gives up when the
// total deadline passes.
func Get(ctx context.Context, url string, o Options) ([]byte, error) {
	o = o.withDefaults()
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return nil, fmt.Errorf("template URL %q: want an http:// or https:// address", url)
	}
	want := strings.ToLower(strings.TrimSpace(o.SHA256))
	if want != "" {
		if b, err := hex.DecodeString(want); err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("--sha256 %q: want 64 hexadecimal digits", o.SHA256)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, o.Deadline)
	defer cancel()

	c := retryablehttp.NewClient()
	c.RetryMax = o.RetryMax
	c.RetryWaitMin = o.WaitMin
	c.RetryWaitMax = o.WaitMax
	c.HTTPClient.Timeout = o.PerTry
	c.Logger = nil
	attempts := 0
	c.RequestLogHook = func(_ retryablehttp.Logger, _ *http.Request, n int) {
		attempts = n + 1
		if n > 0 && o.Log != nil {
			fmt.Fprintf(o.Log, "fetch: retry %d of %d for %s\n", n, o.RetryMax, url)
		}
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("template URL %q: %w", url, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("fetching %s: no complete answer within the total deadline of %s (%d attempts)", url, o.Deadline, attempts)
		}
		return nil, fmt.Errorf("fetching %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: server answered %s", url, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, o.MaxBytes+1))
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("fetching %s: download did not finish within the total deadline of %s", url, o.Deadline)
		}
		return nil, fmt.Errorf("fetching %s: %w", url, err)
	}
	if int64(len(data)) > o.MaxBytes {
		return nil, fmt.Errorf("fetching %s: archive is larger than the limit of %d bytes", url, o.MaxBytes)
	}
	if want != "" {
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != want {
			return nil, fmt.Errorf("fetching %s: SHA-256 mismatch: got %s, want %s", url, got, want)
		}
	}
	return data, nil
}
