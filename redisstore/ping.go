package redisstore

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"
)

// Ping makes one round trip to Redis (PING) on a connection of the
// client's pool, opening one if needed: TCP, the TLS handshake, and
// authentication. Call it once at startup with a bounded ctx. The
// multilevel cache never returns store errors to its callers (it counts
// them in Stats and falls back to the loader), so a wrong password or an
// untrusted certificate would otherwise show only as counted errors.
//
// The error says what was wrong when it can tell: credentials refused
// (WRONGPASS) or missing (NOAUTH), a user not allowed to run PING
// (NOPERM), a server certificate the client's TLSConfig does not trust or
// that names another host, a TLS server reached without TLS, or a plain
// one with TLS (which does not answer the handshake: only ctx's deadline
// or the client's DialTimeout ends that wait). It wraps the client's
// error.
func (s *Store) Ping(ctx context.Context) error {
	err := s.client.Ping(ctx).Err()
	if err == nil {
		return nil
	}
	return fmt.Errorf("redisstore: ping: %s: %w", cause(ctx, err, s.usesTLS()), err)
}

// usesTLS reports whether the client is configured for TLS, as far as its
// type lets us see.
func (s *Store) usesTLS() bool {
	switch c := s.client.(type) {
	case *redis.Client:
		return c.Options().TLSConfig != nil
	case *redis.ClusterClient:
		return c.Options().TLSConfig != nil
	case *redis.Ring:
		return c.Options().TLSConfig != nil
	}
	return false
}

// cause names the likely cause of a failed ping.
func cause(ctx context.Context, err error, usesTLS bool) string {
	var (
		reply   redis.Error
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
		verify  *tls.CertificateVerificationError
		notTLS  tls.RecordHeaderError
		netErr  net.Error
	)
	timedOut := ctx.Err() != nil || (errors.As(err, &netErr) && netErr.Timeout())
	switch {
	case errors.As(err, &reply) && strings.HasPrefix(reply.Error(), "WRONGPASS"):
		return "Redis refused the username or password (redis.Options.Username, Password)"
	case errors.As(err, &reply) && strings.HasPrefix(reply.Error(), "NOAUTH"):
		return "Redis requires authentication and the client sent no password (set redis.Options.Username and Password)"
	case errors.As(err, &reply) && strings.HasPrefix(reply.Error(), "NOPERM"):
		return "the Redis user may not run PING; give it the ACL rules of docs/multilevel.md"
	case errors.As(err, &unknown):
		return "the server's TLS certificate is not signed by a CA the client trusts (redis.Options.TLSConfig.RootCAs)"
	case errors.As(err, &host):
		return "the server's TLS certificate is for another host (redis.Options.Addr, or TLSConfig.ServerName)"
	case errors.As(err, &invalid), errors.As(err, &verify):
		return "the server's TLS certificate is not valid"
	case errors.As(err, &notTLS):
		return "the server did not answer in TLS: does it listen with TLS on this port?"
	case !usesTLS && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)):
		return "the server closed the connection at once; if it requires TLS, set redis.Options.TLSConfig"
	case usesTLS && timedOut:
		return "no answer in time; a server without TLS on this port leaves the TLS handshake unanswered"
	case timedOut:
		return "no answer in time"
	}
	return "Redis is unreachable or failing"
}
