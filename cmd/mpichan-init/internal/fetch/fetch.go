// Package fetch downloads a remote template archive with retries, a total
// deadline, a size limit and an optional SHA-256 check.
package fetch

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
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
// errors, per-attempt timeouts, 408, 429 and 5xx answers, and gives up when
// the total deadline passes, naming the last cause. Failures that cannot
// succeed on a retry (an unknown host, a TLS certificate error, any other
// 4xx answer) end at once.
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
	var last error // the cause of the latest failed attempt
	c.RequestLogHook = func(_ retryablehttp.Logger, _ *http.Request, n int) {
		attempts = n + 1
		if n > 0 && o.Log != nil {
			fmt.Fprintf(o.Log, "fetch: retry %d of %d for %s (%v)\n", n, o.RetryMax, url, last)
		}
	}
	c.CheckRetry = func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		switch {
		case err != nil:
			last = err
		case resp.StatusCode != http.StatusOK:
			last = fmt.Errorf("server answered %s", resp.Status)
		}
		if ctx.Err() != nil || Permanent(resp, err) {
			return false, nil
		}
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	c.ErrorHandler = retryablehttp.PassthroughErrorHandler
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("template URL %q: %w", url, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			cause := "no answer"
			if last != nil && !errors.Is(last, context.DeadlineExceeded) {
				cause = "last error: " + cause0(last)
			}
			return nil, fmt.Errorf("fetching %s: no complete answer within the total deadline of %s (%d attempts; %s)", url, o.Deadline, attempts, cause)
		}
		return nil, fmt.Errorf("fetching %s: %s (%s)", url, cause0(err), tries(attempts, Permanent(nil, err)))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: server answered %s (%s)", url, resp.Status, tries(attempts, Permanent(resp, nil)))
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

// Permanent reports whether a failed attempt cannot succeed on a retry: an
// unknown host, a bad certificate, or a 4xx answer other than 408 (request
// timeout), 425 (too early) and 429 (too many requests).
func Permanent(resp *http.Response, err error) bool {
	if err != nil {
		var dns *net.DNSError
		var cert *tls.CertificateVerificationError
		return (errors.As(err, &dns) && dns.IsNotFound) || errors.As(err, &cert)
	}
	if resp == nil {
		return false
	}
	switch c := resp.StatusCode; {
	case c == http.StatusRequestTimeout, c == http.StatusTooEarly, c == http.StatusTooManyRequests:
		return false
	default:
		return c >= 400 && c < 500
	}
}

// cause0 is an error's text without the "Get URL:" that net/http puts in
// front, since the message names the URL already.
func cause0(err error) string {
	var ue *neturl.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

func tries(n int, permanent bool) string {
	if permanent {
		return "not retried: it cannot succeed"
	}
	if n == 1 {
		return "1 attempt"
	}
	return fmt.Sprintf("%d attempts", n)
}
