package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"
)

// Defaults of Options.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultRetries     = 3
	DefaultBackoff     = 500 * time.Millisecond
	DefaultMaxBackoff  = 30 * time.Second
	DefaultConcurrency = 8
)

// Options tune delivery. Zero values take the defaults.
type Options struct {
	// Timeout bounds one attempt on one channel (connect, send, answer); default 10s.
	Timeout time.Duration
	// Retries is how many times a failed attempt is retried on a network error, a
	// timeout, a 5xx or 429 answer, or a temporary SMTP error; default 3, negative for
	// none. Other errors (4xx, a refused recipient, a bad secret file) are not retried.
	Retries int
	// Backoff is the delay before the first retry, doubled for each next one, with
	// jitter; default 500ms.
	Backoff time.Duration
	// MaxBackoff caps the delay between attempts, Retry-After included; default 30s.
	MaxBackoff time.Duration
	// Concurrency bounds the deliveries in flight across all Sends; default 8. Each
	// configured network channel gets an equal share (at least 1), so that a slow
	// channel never takes the slots of another.
	Concurrency int
	// Now is the clock (Alertmanager's endsAt, Retry-After dates, log times); default
	// time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx is done; default a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a number in [0, 1): a delay d becomes d/2 + Jitter()*d/2; default
	// math/rand/v2.
	Jitter func() float64
	// Logger receives the log channel's lines; default os.Stderr.
	Logger io.Writer
	// HTTPClient posts to Slack, webhooks and Alertmanager; default a client of its own.
	// Its Timeout should be 0: Timeout applies.
	HTTPClient *http.Client
}

// Dispatcher sends notifications on the configured channels. It is safe for concurrent
// use.
type Dispatcher struct {
	opts    Options
	senders map[string]sender
	sems    map[string]chan struct{}
}

// sender delivers one notification on one channel, once.
type sender interface {
	send(ctx context.Context, n *Notification) error
}

// New checks cfg (CA files, TLS settings) and returns a Dispatcher for it.
func New(cfg Config, opts Options) (*Dispatcher, error) {
	opts = withDefaults(opts)
	d := &Dispatcher{opts: opts, senders: map[string]sender{}, sems: map[string]chan struct{}{}}
	if cfg.Email != nil {
		s, err := newEmailSender(*cfg.Email, opts)
		if err != nil {
			return nil, fmt.Errorf("email: %w", err)
		}
		d.senders[ChannelEmail] = s
	}
	if cfg.Slack != nil {
		d.senders[ChannelSlack] = &slackSender{cfg: *cfg.Slack, d: d}
	}
	if cfg.Webhook != nil {
		d.senders[ChannelWebhook] = &webhookSender{cfg: *cfg.Webhook, d: d}
	}
	if cfg.Alertmanager != nil {
		d.senders[ChannelAlertmanager] = &alertmanagerSender{cfg: *cfg.Alertmanager, d: d}
	}
	share := max(1, opts.Concurrency/max(1, len(d.senders)))
	for name := range d.senders {
		d.sems[name] = make(chan struct{}, share)
	}
	d.senders[ChannelLog] = newLogSender(cfg.Log, opts)
	return d, nil
}

func withDefaults(o Options) Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Retries == 0 {
		o.Retries = DefaultRetries
	}
	o.Retries = max(o.Retries, 0)
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	if o.Logger == nil {
		o.Logger = os.Stderr
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	return o
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Send delivers every notification on each of its channels, concurrently, and returns
// one []Result per notification, one Result per distinct channel in the order listed.
// A channel that is not configured, or unknown, gets a Result with an error. Send
// returns when every delivery has succeeded or given up; a cancelled ctx stops retries.
func (d *Dispatcher) Send(ctx context.Context, ns []Notification) [][]Result {
	out := make([][]Result, len(ns))
	var wg sync.WaitGroup
	for i := range ns {
		chans := distinct(ns[i].Channels)
		out[i] = make([]Result, len(chans))
		for j, ch := range chans {
			s, ok := d.senders[ch]
			if !ok {
				out[i][j] = Result{Channel: ch, Err: NotConfigured(ch)}
				continue
			}
			wg.Go(func() { out[i][j] = d.deliver(ctx, ch, s, &ns[i]) })
		}
	}
	wg.Wait()
	return out
}

// distinct is chans without repetitions, in order.
func distinct(chans []string) []string {
	out := make([]string, 0, len(chans))
	for _, c := range chans {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// deliver sends n on one channel, retrying as Options say.
func (d *Dispatcher) deliver(ctx context.Context, ch string, s sender, n *Notification) Result {
	r := Result{Channel: ch}
	sem := d.sems[ch]
	for {
		if err := acquire(ctx, sem); err != nil {
			r.Err = fmt.Errorf("not sent: %w", err)
			return r
		}
		r.Attempts++
		err := d.attempt(ctx, s, n)
		release(sem)
		if err == nil {
			return r
		}
		wait, retry := d.retryDelay(err, r.Attempts)
		if !retry || r.Attempts > d.opts.Retries || ctx.Err() != nil {
			r.Err = err
			return r
		}
		if serr := d.opts.Sleep(ctx, wait); serr != nil {
			r.Err = fmt.Errorf("%w (retry cancelled: %w)", err, serr)
			return r
		}
	}
}

// attempt is one try, bounded by Options.Timeout.
func (d *Dispatcher) attempt(ctx context.Context, s sender, n *Notification) error {
	actx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	defer cancel()
	err := s.send(actx, n)
	if err != nil && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return &retryableError{err: fmt.Errorf("timed out after %s: %w", d.opts.Timeout, err)}
	}
	return err
}

// retryDelay says whether err is worth retrying after attempt n, and how long to wait.
func (d *Dispatcher) retryDelay(err error, n int) (time.Duration, bool) {
	var p *permanentError
	if errors.As(err, &p) {
		return 0, false
	}
	wait := d.opts.Backoff
	for i := 1; i < n && wait < d.opts.MaxBackoff; i++ {
		wait *= 2
	}
	wait = min(wait, d.opts.MaxBackoff)
	wait = wait/2 + time.Duration(d.opts.Jitter()*float64(wait/2))
	var ra *retryableError
	if errors.As(err, &ra) && ra.after > wait {
		wait = min(ra.after, d.opts.MaxBackoff)
	}
	return wait, true
}

func acquire(ctx context.Context, sem chan struct{}) error {
	if sem == nil {
		return ctx.Err()
	}
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func release(sem chan struct{}) {
	if sem != nil {
		<-sem
	}
}

// permanentError is an error that retrying would not fix (a 4xx answer, a refused
// recipient, an unreadable secret).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// permanent marks err as not worth retrying.
func permanent(err error) error { return &permanentError{err: err} }

// retryableError is a temporary error, with the receiver's Retry-After if it gave one.
type retryableError struct {
	err   error
	after time.Duration
}

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

// isContextErr reports whether err is context.Canceled or context.DeadlineExceeded.
func isContextErr(err error) bool {
	return err == context.Canceled || err == context.DeadlineExceeded
}
