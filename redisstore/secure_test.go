package redisstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stratacache/cache/internal/redistest"
	"github.com/stratacache/cache/internal/testcerts"
	"github.com/stratacache/cache/multilevel"
)

// storeRules are the ACL rules of the user a Store runs as for the
// namespace "users" with the default channel prefix: its keys, its
// invalidation channel, and the commands the Store sends (EVALSHA and
// EVAL run the scripts that release a lease and read a value with its
// PTTL). They are the rules
// docs/multilevel.md gives for production.
var storeRules = []string{
	"~users:*", "&strata:invalidate:users",
	"+get", "+set", "+del", "+publish", "+subscribe", "+ping", "+evalsha", "+eval", "+pttl",
}

// startSecureRedis starts a redis-server as production runs one: TLS only
// (certificates made for the test), the default user off, and an ACL user
// with a password and storeRules.
func startSecureRedis(t testing.TB) *redisServer {
	t.Helper()
	return &redisServer{Server: redistest.StartWith(t, redistest.Config{TLS: true, User: "strata-users", Rules: storeRules})}
}

// forEachServer runs scenario against an open redis-server, a secured
// one (startSecureRedis) and an open Redis Cluster (startCluster), as
// subtests.
func forEachServer(t *testing.T, scenario func(t *testing.T, srv *redisServer)) {
	t.Run("open", func(t *testing.T) { scenario(t, startRedis(t)) })
	t.Run("acl+tls", func(t *testing.T) { scenario(t, startSecureRedis(t)) })
	t.Run("cluster", func(t *testing.T) { scenario(t, startCluster(t)) })
}

// A misconfigured client fails Ping at once with an error naming the
// cause, never a hang: the wait for a plain server to answer a TLS
// handshake, which never comes, ends with the client's DialTimeout.
func TestSecureRedisPingNamesTheCause(t *testing.T) {
	srv := startSecureRedis(t)
	open := startRedis(t)
	noPing := &redisServer{Server: redistest.StartWith(t, redistest.Config{TLS: true, User: "reader", Rules: []string{"~users:*", "+get"}})}
	cases := []struct {
		name  string
		setup func(o *redis.Options)
		want  []string
	}{
		{"wrong password", func(o *redis.Options) { o.Password = "not-" + o.Password },
			[]string{"refused the username or password", "WRONGPASS"}},
		{"no credentials", func(o *redis.Options) { o.Username, o.Password = "", "" },
			[]string{"requires authentication", "NOAUTH"}},
		{"CA not trusted", func(o *redis.Options) { o.TLSConfig.RootCAs = testcerts.NewCA(t, "another CA").Pool() },
			[]string{"not signed by a CA the client trusts", "unknown authority"}},
		{"certificate for another host", func(o *redis.Options) { o.TLSConfig.ServerName = "redis.example.org" },
			[]string{"for another host", "redis.example.org"}},
		{"no TLS", func(o *redis.Options) { o.TLSConfig = nil },
			[]string{"if it requires TLS, set redis.Options.TLSConfig"}},
		{"TLS to a server without", func(o *redis.Options) { o.Addr, o.Username, o.Password = open.addr(), "", "" },
			[]string{"leaves the TLS handshake unanswered"}},
		{"user without +ping", func(o *redis.Options) { *o = *noPing.options() },
			[]string{"may not run PING", "NOPERM"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := srv.options()
			tc.setup(o)
			st, err := New(newClient(t, o), Options{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err = st.Ping(ctx)
			if err == nil || ctx.Err() != nil {
				t.Fatalf("Ping = %v with the context %v; want an error before the deadline", err, ctx.Err())
			}
			for _, w := range append(tc.want, "redisstore: ping: ") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Ping error %q does not say %q", err, w)
				}
			}
		})
	}
	if err := srv.store(t, Options{}).Ping(context.Background()); err != nil {
		t.Fatalf("Ping with the right configuration: %v", err)
	}
}

// A wrong password is a store error like any other to the multilevel
// cache: callers get the loader's value, the errors are counted, and the
// subscription stays down. Ping is how to see the cause.
func TestSecureRedisWrongPasswordIsCountedNotReturned(t *testing.T) {
	srv := startSecureRedis(t)
	o := srv.options()
	o.Password = "wrong"
	st, err := New(newClient(t, o), Options{RetryMin: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	org := &origin{name: "db"}
	c := newInstance(t, srv, multilevel.Options[int, user]{Store: st, Load: org.load})
	for id := range 3 {
		if u := get(t, c, id); u.Name != "db" {
			t.Fatalf("Get(%d) = %+v", id, u)
		}
	}
	if st := c.Stats(); st.L2.Errors == 0 || st.L2.Hits+st.L2.Misses != 0 || st.Invalidation.Subscribed {
		t.Fatalf("stats %+v: want store errors counted, no store answer, no subscription", st)
	}
	if err := st.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Fatalf("Ping = %v, want WRONGPASS", err)
	}
}

// The production ACL confines the store's user to its namespace: another
// namespace's keys and channel are refused.
func TestSecureRedisUserIsConfinedToItsNamespace(t *testing.T) {
	srv := startSecureRedis(t)
	st := srv.store(t, Options{})
	ctx := context.Background()
	if err := st.Set(ctx, "users:1", []byte("v"), time.Minute); err != nil {
		t.Fatalf("Set in the user's namespace: %v", err)
	}
	var reply redis.Error
	if err := st.Set(ctx, "orders:1", []byte("v"), time.Minute); !errors.As(err, &reply) || !strings.HasPrefix(err.Error(), "NOPERM") {
		t.Fatalf("Set in another namespace: %v, want NOPERM", err)
	}
	err := st.Publish(ctx, multilevel.Message{Namespace: "orders", Key: "orders:1", Sender: "s"})
	if !errors.As(err, &reply) || !strings.HasPrefix(err.Error(), "NOPERM") {
		t.Fatalf("Publish on another namespace's channel: %v, want NOPERM", err)
	}
}

// A user whose ACL predates GetTTL (no +pttl) still reads values: GetTTL
// returns them as Get does, with no lifetime, rather than failing every
// store read.
func TestGetTTLWithoutPTTLPermission(t *testing.T) {
	rules := []string{"~users:*", "+get", "+set", "+evalsha", "+eval"}
	srv := &redisServer{Server: redistest.StartWith(t, redistest.Config{TLS: true, User: "old", Rules: rules})}
	s, err := New(newClient(t, srv.options()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Set(ctx, "users:1", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the refusal, then the remembered fallback
		if v, left, err := s.GetTTL(ctx, "users:1"); err != nil || string(v) != "v" || left != 0 {
			t.Fatalf("GetTTL = %q, %v, %v; want the value with no lifetime", v, left, err)
		}
	}
	if _, _, err := s.GetTTL(ctx, "users:absent"); !errors.Is(err, multilevel.ErrMiss) {
		t.Fatalf("GetTTL of an absent key = %v, want ErrMiss", err)
	}
}
