package redisstore

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stratacache/cache/multilevel"
)

// Publish sends m on the channel of its namespace (PUBLISH). The payload is
// "1" (the format version), the sender id, a NUL byte, then the key.
func (s *Store) Publish(ctx context.Context, m multilevel.Message) error {
	payload, err := encodeMessage(m)
	if err != nil {
		return err
	}
	return s.failed(s.client.Publish(ctx, s.opts.ChannelPrefix+m.Namespace, payload).Err())
}

// Subscribe delivers the messages of namespace to sub from a goroutine of
// its own, on a connection of its own, until stop is called.
//
// sub.Up is called each time the server confirms the subscription: at
// first, and after every reconnection. sub.Down is called when an active
// subscription breaks: the connection fails, or a ping goes unanswered for
// Options.PingAfter. A payload this package cannot read is reported as a
// Down followed by an Up, since it may have been an invalidation of any
// key. sub's functions run one at a time, on the subscription's goroutine.
//
// stop closes the connection and returns once the goroutine has made its
// last call to sub and is exiting; every call of stop, from any goroutine,
// waits so. The exception is a call from inside one of sub's functions
// (on the subscription's own goroutine), which cannot wait for the
// goroutine that is running it: it closes the connection and returns at
// once; the function that called it runs to its end, no function of sub is
// called after it, and the goroutine exits as soon as it returns. stop is
// idempotent. A call from a goroutine that one of sub's functions waits
// for blocks forever, like any wait for oneself.
func (s *Store) Subscribe(namespace string, sub multilevel.Subscriber) (stop func(), err error) {
	return s.subscribe(namespace, sub).stop, nil
}

// subscribe starts a subscription and returns it, for tests to wait on.
func (s *Store) subscribe(namespace string, sub multilevel.Subscriber) *receiver {
	ctx, cancel := context.WithCancel(context.Background())
	r := &receiver{
		store:     s,
		namespace: namespace,
		channel:   s.opts.ChannelPrefix + namespace,
		sub:       sub,
		ctx:       ctx,
		cancel:    cancel,
		done:      make(chan struct{}),
	}
	go r.run()
	return r
}

// receiver is one subscription: the goroutine that reads it and the state
// stop needs to interrupt it.
type receiver struct {
	store     *Store
	namespace string
	channel   string
	sub       multilevel.Subscriber
	ctx       context.Context // cancelled by stop
	cancel    context.CancelFunc
	done      chan struct{} // closed when run returns

	// inCallback is the goroutine id of run while it is inside one of
	// sub's functions, and 0 otherwise: stop compares it with its own
	// caller's to recognise a call from inside a callback.
	inCallback atomic.Uint64

	mu      sync.Mutex
	ps      *redis.PubSub // the current connection, nil between attempts
	stopped bool
}

// stop ends the subscription; see Subscribe.
func (r *receiver) stop() {
	r.cancel()
	r.closeConn(true)
	if g := r.inCallback.Load(); g != 0 && g == goroutineID() {
		// Called by sub, on run's goroutine: run sees the cancellation
		// as soon as sub returns, and exits without calling it again.
		return
	}
	<-r.done
}

var errBadPayload = errors.New("redisstore: unreadable invalidation payload")

// run keeps the subscription alive until ctx ends: one session per
// connection, with doubling backoff between failed sessions.
func (r *receiver) run() {
	defer close(r.done)
	ctx, g := r.ctx, goroutineID()
	o := &r.store.opts
	backoff := o.RetryMin
	for {
		ps := r.store.client.Subscribe(ctx, r.channel)
		if !r.setConn(ps) {
			_ = ps.Close()
			return
		}
		active, err := r.session(ctx, g, ps)
		r.closeConn(false)
		if ctx.Err() != nil {
			return
		}
		_ = r.store.failed(err) // on a cluster, the next session may need another node
		if active {
			if !r.call(ctx, g, func() { r.down(err) }) {
				return
			}
			backoff = o.RetryMin // it was working: start the backoff afresh
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, o.RetryMax)
	}
}

// session reads one connection until it fails or stop is called, and
// reports whether the subscription was active on it. g is the id of the
// goroutine running it.
func (r *receiver) session(ctx context.Context, g uint64, ps *redis.PubSub) (active bool, err error) {
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, r.store.opts.PingAfter)
		if err != nil {
			if !pinged && isTimeout(err) && ctx.Err() == nil {
				// Silence: ask the server whether it is still there.
				if err := ps.Ping(ctx); err != nil {
					return active, err
				}
				pinged = true
				continue
			}
			return active, err
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" && m.Channel == r.channel {
				active = true
				if !r.call(ctx, g, r.up) {
					return active, ctx.Err()
				}
			}
		case *redis.Message:
			if m.Channel != r.channel {
				continue
			}
			im, ok := decodeMessage(r.namespace, m.Payload)
			if !ok {
				if !r.call(ctx, g, func() { r.down(errBadPayload) }) || !r.call(ctx, g, r.up) {
					return active, ctx.Err()
				}
				continue
			}
			if r.sub.Message != nil && !r.call(ctx, g, func() { r.sub.Message(im) }) {
				return active, ctx.Err()
			}
		}
	}
}

func (r *receiver) up() {
	if r.sub.Up != nil {
		r.sub.Up()
	}
}

func (r *receiver) down(err error) {
	if r.sub.Down != nil {
		r.sub.Down(err)
	}
}

// call runs one of the subscriber's functions on run's goroutine g,
// marking that it runs so that a stop called from inside it does not wait
// for itself. It reports whether the subscription may go on: false once
// stop has been called, from fn or from anywhere else.
func (r *receiver) call(ctx context.Context, g uint64, fn func()) bool {
	if ctx.Err() != nil {
		return false
	}
	r.inCallback.Store(g)
	defer r.inCallback.Store(0)
	fn()
	return ctx.Err() == nil
}

// setConn records the connection of a new session, or reports false if
// stop came first.
func (r *receiver) setConn(ps *redis.PubSub) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return false
	}
	r.ps = ps
	return true
}

// closeConn closes the current connection, which interrupts a blocked
// receive. With final set (by stop) it also prevents any new session.
func (r *receiver) closeConn(final bool) {
	r.mu.Lock()
	ps := r.ps
	r.ps = nil
	r.stopped = r.stopped || final
	r.mu.Unlock()
	if ps != nil {
		_ = ps.Close()
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
