package redistest

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// do sends one command to the server and returns its reply as text: a
// status, an integer or a bulk string. It speaks just enough RESP for the
// harness's questions (PING, CLUSTER INFO, CLUSTER NODES, INFO), without a
// client library and its retries, so that a dead server answers with an
// error at once.
func (s *Server) do(args ...string) (string, error) {
	d := &net.Dialer{Timeout: 200 * time.Millisecond}
	var (
		conn net.Conn
		err  error
	)
	if s.tls != nil {
		conn, err = tls.DialWithDialer(d, "tcp", s.Addr(), s.tls)
	} else {
		conn, err = d.Dial("tcp", s.Addr())
	}
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	r := bufio.NewReader(conn)
	if s.cfg.User != "" {
		if _, err := conn.Write(encode("AUTH", s.cfg.User, s.cfg.Password)); err != nil {
			return "", err
		}
		if _, err := reply(r); err != nil {
			return "", err
		}
	}
	if _, err := conn.Write(encode(args...)); err != nil {
		return "", err
	}
	return reply(r)
}

// encode writes args as a RESP array of bulk strings.
func encode(args ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return []byte(b.String())
}

// reply reads one reply that is not an array.
func reply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", errors.New("redistest: empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", errors.New(line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", fmt.Errorf("redistest: bulk reply %q", line)
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return "", fmt.Errorf("redistest: unexpected reply %q", line)
}
