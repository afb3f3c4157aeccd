// Package redistest runs a real redis-server for tests: on a free loopback
// port, without persistence, killed when the test ends. Tests that need
// Redis skip loudly when the binary is missing, and fail instead when the
// environment says CI=true, where .ci/run installs it.
//
// StartWith runs it as production runs it: TLS only, with certificates
// made for the test, and an ACL user with a password instead of the open
// default user.
package redistest

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stratacache/cache/internal/testcerts"
)

// Config says how a server is secured. Its zero value is an open server:
// plain TCP, the default user with no password.
type Config struct {
	// TLS makes the server accept TLS connections only, with a
	// certificate for 127.0.0.1 from a CA made for the test (Server.CA).
	// Clients are not asked for certificates: the password authenticates
	// them.
	TLS bool

	// User, if not "", is an ACL user the server creates with Password
	// ("" means a random one; no spaces) and the ACL rules in Rules, e.g.
	// {"~users:*", "+get"}; the default user is then disabled.
	User     string
	Password string
	Rules    []string
}

// Server is a redis-server process the test controls.
type Server struct {
	t    testing.TB
	bin  string
	port int
	cfg  Config
	args []string      // besides port and bind
	ca   *testcerts.CA // with TLS
	tls  *tls.Config   // a client's, with TLS

	mu  sync.Mutex
	cmd *exec.Cmd
	out *bytes.Buffer
}

// Start runs a fresh open redis-server and waits until it answers PING. It
// skips the test (fails it when CI=true) if there is no redis-server
// binary.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, Config{})
}

// StartWith runs a fresh redis-server secured as cfg says and waits until
// it answers (over TLS and as the user, if so configured). It skips
// the test (fails it when CI=true) if there is no redis-server binary.
func StartWith(t testing.TB, cfg Config) *Server {
	t.Helper()
	bin := lookPath(t, "redis-server")
	cfg.Rules = append([]string(nil), cfg.Rules...)
	s := &Server{t: t, bin: bin, port: freePort(t), cfg: cfg}
	dir := t.TempDir()
	if cfg.TLS {
		s.ca = testcerts.NewCA(t, "redis test CA")
		certFile, keyFile := s.ca.Server(t).WriteFiles(t, dir, "redis")
		caFile := filepath.Join(dir, "ca.crt")
		if err := os.WriteFile(caFile, s.ca.PEM(), 0o644); err != nil {
			t.Fatal(err)
		}
		s.args = append(s.args, "--tls-cert-file", certFile, "--tls-key-file", keyFile,
			"--tls-ca-cert-file", caFile, "--tls-auth-clients", "no")
		s.tls = &tls.Config{RootCAs: s.ca.Pool(), ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	}
	if cfg.User != "" {
		if s.cfg.Password == "" {
			s.cfg.Password = randomPassword(t)
		}
		// In an ACL file rather than arguments, which anyone on the
		// machine can read.
		acl := "user default off\nuser " + strings.Join(append([]string{cfg.User, "on", ">" + s.cfg.Password}, cfg.Rules...), " ") + "\n"
		aclFile := filepath.Join(dir, "users.acl")
		if err := os.WriteFile(aclFile, []byte(acl), 0o600); err != nil {
			t.Fatal(err)
		}
		s.args = append(s.args, "--aclfile", aclFile)
	}
	s.Restart()
	t.Cleanup(s.Kill)
	return s
}

// lookPath returns the path of the program name (redis-server,
// redis-cli), or skips the test (fails it when CI=true) if there is none.
func lookPath(t testing.TB, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		msg := name + " not found in PATH: the Redis integration tests did NOT run " +
			"(apt-get install redis-server, which brings redis-cli, or see .ci/run)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("!!! SKIPPED: " + msg)
	}
	return bin
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// User and Password are the ACL user's credentials ("" for an open server).
func (s *Server) User() string     { return s.cfg.User }
func (s *Server) Password() string { return s.cfg.Password }

// CA is the authority that issued the server's certificate; nil without
// TLS.
func (s *Server) CA() *testcerts.CA { return s.ca }

// ClientTLS returns a new TLS configuration for clients, trusting the
// server's CA; nil without TLS.
func (s *Server) ClientTLS() *tls.Config {
	if s.tls == nil {
		return nil
	}
	return s.tls.Clone()
}

// Restart runs redis-server again on the same port (after Kill) and waits
// until it answers PING.
func (s *Server) Restart() {
	s.t.Helper()
	out := &bytes.Buffer{}
	port := []string{"--port", strconv.Itoa(s.port)}
	if s.cfg.TLS {
		port = []string{"--port", "0", "--tls-port", strconv.Itoa(s.port)}
	}
	args := append(port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning")
	cmd := exec.Command(s.bin, append(args, s.args...)...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	s.mu.Lock()
	s.cmd, s.out = cmd, out
	s.mu.Unlock()

	deadline := time.Now().Add(10 * time.Second)
	for !s.answersPing() {
		if time.Now().After(deadline) {
			s.Kill()
			s.t.Fatalf("redis-server on %s did not answer PING within 10s; its output:\n%s", s.Addr(), out)
		}
		// Polling an outside process's readiness, not synchronising
		// goroutines.
		time.Sleep(10 * time.Millisecond)
	}
}

// Kill stops the server at once (SIGKILL), as a crash would. It is
// idempotent.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// running reports whether the server's process was started and not
// killed since.
func (s *Server) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

// answersPing speaks just enough RESP to ask the server whether it is up,
// without a client library and its retries: over TLS if the server wants
// it, and, with a user, by logging in (whatever the user's rules allow,
// AUTH is always allowed).
func (s *Server) answersPing() bool {
	var conn net.Conn
	var err error
	d := &net.Dialer{Timeout: 100 * time.Millisecond}
	if s.tls != nil {
		conn, err = tls.DialWithDialer(d, "tcp", s.Addr(), s.tls)
	} else {
		conn, err = d.Dial("tcp", s.Addr())
	}
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
	cmd, want := "PING\r\n", "+PONG\r\n"
	if s.cfg.User != "" {
		cmd, want = "AUTH "+s.cfg.User+" "+s.cfg.Password+"\r\n", "+OK\r\n"
	}
	if _, err := conn.Write([]byte(cmd)); err != nil {
		return false
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return err == nil && line == want
}

// randomPassword returns 32 random hex digits.
func randomPassword(t testing.TB) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// portFree reports whether port can be listened on on loopback now.
func portFree(port int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	return l.Close() == nil
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}
