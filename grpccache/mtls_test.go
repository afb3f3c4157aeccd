package grpccache

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"

	"github.com/stratacache/cache/internal/testcerts"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

// The tests here run real TLS gRPC servers with certificates made at run
// time: a CA the server trusts, client certificates it issued, and
// certificates from a CA it does not trust.

// serveTLS starts the test service behind TLS, asking clients for a
// certificate as mode says and verifying them against clientCAs.
func serveTLS(t *testing.T, srv *textServer, ca *testcerts.CA, clientCAs *x509.CertPool, mode tls.ClientAuthType, more ...grpc.ServerOption) string {
	t.Helper()
	creds := credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{ca.Server(t).TLS},
		ClientCAs:    clientCAs,
		ClientAuth:   mode,
		MinVersion:   tls.VersionTLS13,
	})
	return serve(t, srv, append(more, grpc.Creds(creds))...)
}

// dialTLS connects to addr over TLS, trusting ca, presenting client if it
// is not nil. It presents it even when the server names other CAs, as an
// impostor would (Go's client otherwise sends no certificate then).
func dialTLS(t *testing.T, addr string, ca *testcerts.CA, client *testcerts.Leaf, more ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	cfg := &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS13}
	if client != nil {
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &client.TLS, nil }
	}
	conn, err := grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(cfg))}, more...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// mustBeRejected fails the test unless a call on conn fails with
// Unavailable, as one does when the server turns the TLS handshake down,
// well before ctx's deadline.
func mustBeRejected(t *testing.T, ctx context.Context, conn *grpc.ClientConn, who string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if got, err := callString(ctx, conn, methodUpper, "x"); status.Code(err) != codes.Unavailable {
		t.Fatalf("%s: got %q, %v; want the handshake refused (Unavailable)", who, got, err)
	}
}

// Under PeerCertificateIdentity, clients with different verified
// certificates never share an answer; clients with the same SPIFFE ID do,
// whatever else their certificates say. A client without a certificate is
// served but never cached when the server lets it in, and is turned away
// at the handshake when the server requires certificates; so is one whose
// certificate the server does not trust.
func TestMTLSServerKeepsCertificatesApart(t *testing.T) {
	ctx := testContext(t)
	ca, other, rogue := testcerts.NewCA(t, "service CA"), testcerts.NewCA(t, "partner CA"), testcerts.NewCA(t, "rogue CA")
	trusted := ca.Pool()
	trusted.AddCert(other.Cert)

	srv := newTextServer()
	cached := serverInterceptor(t, Options{Cache: newCache(t, newFakeClock()), Methods: textRules(), Identity: PeerCertificateIdentity})
	addr := serveTLS(t, srv, ca, trusted, tls.VerifyClientCertIfGiven, cached)

	clients := []struct {
		name string
		cert *testcerts.Leaf
		want string
	}{
		{"alice (SPIFFE ID)", ca.Client(t, "alice", "spiffe://example.org/alice"), "X|@alice"},
		{"bob (SPIFFE ID)", ca.Client(t, "bob", "spiffe://example.org/bob"), "X|@bob"},
		{"carol (subject)", ca.Client(t, "carol", ""), "X|@carol"},
		{"dave (subject)", ca.Client(t, "dave", ""), "X|@dave"},
		// The same subject from another trusted CA is someone else.
		{"carol of the partner CA", other.Client(t, "carol", ""), "X|@carol"},
	}
	conns := make([]*grpc.ClientConn, len(clients))
	for i, c := range clients {
		conns[i] = dialTLS(t, addr, ca, c.cert)
	}
	for round := range 2 {
		for i, c := range clients {
			got, err := callString(ctx, conns[i], methodUpper, "x")
			if err != nil || got != c.want {
				t.Fatalf("round %d, %s: got %q, %v; want %q", round, c.name, got, err, c.want)
			}
		}
		if n := srv.Calls(methodUpper); n != len(clients) {
			t.Fatalf("round %d: handler ran %d times for %d certificates, want once each", round, n, len(clients))
		}
	}

	// alice's certificate renewed (new key, new name, same SPIFFE ID) on
	// a new connection: still alice, served alice's cached answer.
	renewed := dialTLS(t, addr, ca, ca.Client(t, "alice-renewed", "spiffe://example.org/alice"))
	mustString(t, ctx, renewed, methodUpper, "x", "X|@alice")
	if n := srv.Calls(methodUpper); n != len(clients) {
		t.Fatalf("handler ran for a renewed certificate with the same SPIFFE ID: %d runs, want %d", n, len(clients))
	}

	// No certificate: served, never cached, never given anyone's answer.
	anonymous := dialTLS(t, addr, ca, nil)
	for i := range 2 {
		mustString(t, ctx, anonymous, methodUpper, "x", "X|")
		if n := srv.Calls(methodUpper); n != len(clients)+i+1 {
			t.Fatalf("call %d without a certificate: handler ran %d times in all, want %d (not cached)", i, n, len(clients)+i+1)
		}
	}

	// A certificate naming carol from a CA the server does not trust:
	// turned away before any handler or cache sees it.
	before := srv.Calls(methodUpper)
	mustBeRejected(t, ctx, dialTLS(t, addr, ca, rogue.Client(t, "carol", "")), "carol of the rogue CA")
	mustBeRejected(t, ctx, dialTLS(t, addr, ca, rogue.Client(t, "alice", "spiffe://example.org/alice")), "alice's SPIFFE ID from the rogue CA")
	if n := srv.Calls(methodUpper); n != before {
		t.Fatalf("handler ran %d times for refused clients, want none", n-before)
	}
}

// With RequireAndVerifyClientCert, the configuration to use with
// PeerCertificateIdentity, a client without a certificate never reaches
// the interceptor.
func TestMTLSServerRequiringCertificatesRejectsClientsWithout(t *testing.T) {
	ctx := testContext(t)
	ca := testcerts.NewCA(t, "service CA")
	srv := newTextServer()
	cached := serverInterceptor(t, Options{Cache: newCache(t, newFakeClock()), Methods: textRules(), Identity: PeerCertificateIdentity})
	addr := serveTLS(t, srv, ca, ca.Pool(), tls.RequireAndVerifyClientCert, cached)

	mustBeRejected(t, ctx, dialTLS(t, addr, ca, nil), "a client without a certificate")
	alice := dialTLS(t, addr, ca, ca.Client(t, "alice", ""))
	mustString(t, ctx, alice, methodUpper, "x", "X|@alice")
	mustString(t, ctx, alice, methodUpper, "x", "X|@alice")
	if n := srv.Calls(methodUpper); n != 1 {
		t.Fatalf("handler ran %d times, want once: alice's second call is a hit and the other client never got in", n)
	}
}

// A server that takes any certificate without verifying it
// (RequireAnyClientCert) lets a client claim any subject. Such
// certificates are not an identity: nothing is cached, so an impostor
// claiming carol's subject never gets carol's answer.
func TestMTLSUnverifiedCertificatesAreNotCached(t *testing.T) {
	ctx := testContext(t)
	ca, rogue := testcerts.NewCA(t, "service CA"), testcerts.NewCA(t, "rogue CA")
	srv := newTextServer()
	cached := serverInterceptor(t, Options{Cache: newCache(t, newFakeClock()), Methods: textRules(), Identity: PeerCertificateIdentity})
	addr := serveTLS(t, srv, ca, ca.Pool(), tls.RequireAnyClientCert, cached)

	carol := dialTLS(t, addr, ca, ca.Client(t, "carol", ""))
	impostor := dialTLS(t, addr, ca, rogue.Client(t, "carol", ""))
	for i, conn := range []*grpc.ClientConn{carol, impostor, carol, impostor} {
		mustString(t, ctx, conn, methodUpper, "x", "X|@carol")
		if n := srv.Calls(methodUpper); n != i+1 {
			t.Fatalf("call %d: handler ran %d times in all, want %d: unverified certificates are not cached", i, n, i+1)
		}
	}
}

// tokenCredentials are per-RPC credentials, like an OAuth token source:
// gRPC adds their metadata to every call of the connection, after the
// client interceptors have run.
type tokenCredentials string

func (c tokenCredentials) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(c)}, nil
}

func (tokenCredentials) RequireTransportSecurity() bool { return true }

// On the client, with per-RPC credentials attached, callers never share an
// answer: credentials attached to the connection are invisible to the
// interceptor, so under AuthorizationIdentity those calls are not cached;
// credentials attached to one call bypass the cache; credentials in the
// outgoing metadata are the identity. A cache per connection is how to
// cache for connection credentials, and it shares nothing with another
// connection's.
func TestMTLSClientWithPerRPCCredentialsNeverShares(t *testing.T) {
	ctx := testContext(t)
	ca := testcerts.NewCA(t, "service CA")
	srv := newTextServer()
	addr := serveTLS(t, srv, ca, ca.Pool(), tls.RequireAndVerifyClientCert)
	shared := Options{Cache: newCache(t, newFakeClock()), Methods: clientRules(), Identity: AuthorizationIdentity}
	runs := 0
	expectRuns := func(what string, more int) {
		t.Helper()
		runs += more
		if n := srv.Calls(methodUpper); n != runs {
			t.Fatalf("%s: the server ran %d times in all, want %d", what, n, runs)
		}
	}

	// Per-RPC credentials on the connection, one cache for both.
	alice := dialTLS(t, addr, ca, ca.Client(t, "alice", ""), grpc.WithPerRPCCredentials(tokenCredentials("alice")), clientInterceptor(t, shared))
	bob := dialTLS(t, addr, ca, ca.Client(t, "bob", ""), grpc.WithPerRPCCredentials(tokenCredentials("bob")), clientInterceptor(t, shared))
	for range 2 {
		mustString(t, ctx, alice, methodUpper, "x", "X|Bearer alice@alice")
		mustString(t, ctx, bob, methodUpper, "x", "X|Bearer bob@bob")
	}
	expectRuns("connection credentials under AuthorizationIdentity", 4)

	// Per-RPC credentials on each call: the cache is bypassed.
	carol := dialTLS(t, addr, ca, ca.Client(t, "carol", ""), clientInterceptor(t, shared))
	for range 2 {
		for _, token := range []string{"erin", "frank"} {
			got, err := callString(ctx, carol, methodUpper, "x", grpc.PerRPCCredentials(tokenCredentials(token)))
			if want := "X|Bearer " + token + "@carol"; err != nil || got != want {
				t.Fatalf("call with %s's credentials: %q, %v; want %q", token, got, err, want)
			}
		}
	}
	expectRuns("credentials on each call", 4)

	// Credentials in the outgoing metadata: cached per credential; a call
	// with none is not cached.
	for range 2 {
		mustString(t, as(ctx, "Bearer erin"), carol, methodUpper, "x", "X|Bearer erin@carol")
		mustString(t, as(ctx, "Bearer frank"), carol, methodUpper, "x", "X|Bearer frank@carol")
		mustString(t, ctx, carol, methodUpper, "x", "X|@carol")
	}
	expectRuns("credentials in the metadata", 2+2)

	// A cache of its own per connection: each caches its own answers.
	for _, name := range []string{"dave", "erin"} {
		own := Options{Cache: newCache(t, newFakeClock()), Methods: clientRules(), Identity: SharedByEveryone}
		conn := dialTLS(t, addr, ca, ca.Client(t, name, ""), grpc.WithPerRPCCredentials(tokenCredentials(name)), clientInterceptor(t, own))
		for range 2 {
			mustString(t, ctx, conn, methodUpper, "x", "X|Bearer "+name+"@"+name)
		}
	}
	expectRuns("a cache per connection", 2)
}

// The certificate identity: the SPIFFE ID alone when there is one, else
// subject and issuer; a "spiffe://" URI among several is no SPIFFE ID.
func TestCertificateIdentity(t *testing.T) {
	ca, other := testcerts.NewCA(t, "service CA"), testcerts.NewCA(t, "partner CA")
	id := func(c *x509.Certificate) string {
		t.Helper()
		s, ok := certificateIdentity(c)
		if !ok {
			t.Fatalf("certificate %v refused", c.Subject)
		}
		return s
	}
	alice, aliceRenewed := ca.Client(t, "alice", "spiffe://example.org/alice"), ca.Client(t, "alice-2", "spiffe://example.org/alice")
	if id(alice.Cert) != id(aliceRenewed.Cert) {
		t.Error("two certificates with one SPIFFE ID have different identities")
	}
	carol, carolPartner, carolSPIFFE := ca.Client(t, "carol", ""), other.Client(t, "carol", ""), ca.Client(t, "carol", "spiffe://example.org/carol")
	if id(carol.Cert) == id(carolPartner.Cert) {
		t.Error("one subject from two CAs has one identity")
	}
	if id(carol.Cert) == id(carolSPIFFE.Cert) || id(carol.Cert) != id(ca.Client(t, "carol", "").Cert) {
		t.Error("the subject identity depends on something else than subject and issuer")
	}
	twoURIs := *carolSPIFFE.Cert
	twoURIs.URIs = append(twoURIs.URIs, alice.Cert.URIs...)
	if s, ok := certificateIdentity(&twoURIs); ok {
		t.Errorf("a certificate with two SPIFFE URIs has identity %q, want it refused", s)
	}
}
