package redisstore_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stratacache/cache/multilevel"
	"github.com/stratacache/cache/redisstore"
)

type User struct {
	ID   int
	Name string
}

func loadUser(ctx context.Context, id int) (User, error) {
	return User{ID: id, Name: "from the database"}, nil
}

// Every process runs the same code; Redis is the level they share and the
// bus that carries their invalidations. (Not run: it needs a server.)
func Example() {
	rdb := redis.NewClient(&redis.Options{
		Addr:                  "localhost:6379",
		ContextTimeoutEnabled: true, // required: lets the cache's deadlines reach the socket
	})
	defer rdb.Close()
	store, err := redisstore.New(rdb, redisstore.Options{})
	if err != nil {
		panic(err)
	}

	opts := multilevel.Options[int, User]{
		Store:     store,
		Namespace: "users:v1", // bump when User's encoding changes
		Load:      loadUser,
		L2TTL:     time.Hour,
	}
	opts.L1.MaxEntries = 100_000
	opts.L1.TTL = 30 * time.Second // the staleness bound while pub/sub is down
	users, err := multilevel.New(opts)
	if err != nil {
		panic(err)
	}
	defer users.Close()

	ctx := context.Background()
	u, err := users.Get(ctx, 42)
	fmt.Println(u.Name, err)
	// Every other process drops key 42 from its L1 once the message arrives.
	_ = users.Set(ctx, 42, User{ID: 42, Name: "renamed"})
}

// Production Redis: an ACL user and TLS, checked once at startup, since the
// multilevel cache counts store errors instead of returning them. The ACL
// rules and server configuration are in docs/multilevel.md. (Not run: it
// needs a server.)
func ExampleStore_Ping() {
	caPEM, err := os.ReadFile("/etc/strata/redis-ca.crt")
	if err != nil {
		panic(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		panic("no certificate in /etc/strata/redis-ca.crt")
	}
	rdb := redis.NewClient(&redis.Options{
		Addr:                  "redis.internal:6380", // a name the server's certificate holds
		Username:              "strata-users",
		Password:              os.Getenv("REDIS_PASSWORD"),
		TLSConfig:             &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		ContextTimeoutEnabled: true,
	})
	defer rdb.Close()
	store, err := redisstore.New(rdb, redisstore.Options{})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := store.Ping(ctx); err != nil {
		// e.g. "redisstore: ping: Redis refused the username or password
		// (redis.Options.Username, Password): WRONGPASS ..."
		panic(err)
	}
}

// go-redis logs through one logger for the whole process; route its lines
// (such as the failed dials while Redis is down) to slog, or drop them.
func ExampleNewClientLogger() {
	redis.SetLogger(redisstore.NewClientLogger(slog.Default(), slog.LevelWarn))
	// or, to silence them: redis.SetLogger(redisstore.NewClientLogger(nil, 0))
}

// Many replicas on a Redis Cluster, loading a missing key once between
// them: the replica that misses first takes a lease on the key, and the
// others wait for its value for at most Lease.Wait. (Not run: it needs a
// cluster.)
func Example_clusterWithLeases() {
	rdb := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:                 []string{"redis-0:6379", "redis-1:6379", "redis-2:6379"},
		ContextTimeoutEnabled: true,
	})
	defer rdb.Close()
	store, err := redisstore.New(rdb, redisstore.Options{})
	if err != nil {
		panic(err)
	}
	opts := multilevel.Options[int, User]{Store: store, Namespace: "users:v1", Load: loadUser}
	opts.Lease.Enabled = true
	opts.Lease.Wait = 300 * time.Millisecond // above loadUser's slowest usual answer
	users, err := multilevel.New(opts)
	if err != nil {
		panic(err)
	}
	defer users.Close()
	u, err := users.Get(context.Background(), 42)
	fmt.Println(u.Name, err, users.Stats().Lease)
}
