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
	return s.client.Publish(ctx, s.opts.ChannelPrefix+m.Namespace, payload).Err()
}

// Subscribe delivers the messages of namespace to sub from a goroutine of
// its own, on a connection of its own, until stop is called.
//
// sub.Up is called each time the server confirms the subscription: at
// first, and after every reconnection. sub.Down is called when an active
// subscription breaks: the connection fails, or a ping goes unanswered for
// Options.PingAfter. A payload this package cannot read is reported as a
// Down followed by an Up, since it may have been an invalidation of any
// key. stop closes the connection and waits for the goroutine to exit,
// unless it is called from one of sub's functions, in which case the
// goroutine exits as soon as that function returns.
func (s *Store) Subscribe(namespace string, sub multilevel.Subscriber) (stop func(), err error) {
	ctx, cancel := context.WithCancel(context.Background())
	r := &receiver{
		store:     s,
		namespace: namespace,
		channel:   s.opts.ChannelPrefix + namespace,
		sub:       sub,
		done:      make(chan struct{}),
	}
	go r.run(ctx)
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			r.closeConn(true)
			if !r.inCallback.Load() {
				<-r.done
			}
		})
	}
	return stop, nil
}

// receiver is one subscription: the goroutine that reads it and the state
// stop needs to interrupt it.
type receiver struct {
	store     *Store
	namespace string
	channel   string
	sub       multilevel.Subscriber
	done      chan struct{} // closed when run returns

	inCallback atomic.Bool

	mu      sync.Mutex
	ps      *redis.PubSub // the current connection, nil between attempts
	stopped bool
}

var errBadPayload = errors.New("redisstore: unreadable invalidation payload")

// run keeps the subscription alive until ctx ends: one session per
// connection, with doubling backoff between failed sessions.
func (r *receiver) run(ctx context.Context) {
	defer close(r.done)
	o := &r.store.opts
	backoff := o.RetryMin
	for {
		ps := r.store.client.Subscribe(ctx, r.channel)
		if !r.setConn(ps) {
			_ = ps.Close()
			return
		}
		active, err := r.session(ctx, ps)
		r.closeConn(false)
		if ctx.Err() != nil {
			return
		}
		if active {
			r.call(func() { r.down(err) })
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

// session reads one connection until it fails, and reports whether the
// subscription was active on it.
func (r *receiver) session(ctx context.Context, ps *redis.PubSub) (active bool, err error) {
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
				r.call(r.up)
			}
		case *redis.Message:
			if m.Channel != r.channel {
				continue
			}
			im, ok := decodeMessage(r.namespace, m.Payload)
			if !ok {
				r.call(func() { r.down(errBadPayload); r.up() })
				continue
			}
			if r.sub.Message != nil {
				r.call(func() { r.sub.Message(im) })
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

// call runs one of the subscriber's functions, marking that it runs so
// that a stop called from inside it does not wait for itself.
func (r *receiver) call(fn func()) {
	r.inCallback.Store(true)
	defer r.inCallback.Store(false)
	fn()
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
