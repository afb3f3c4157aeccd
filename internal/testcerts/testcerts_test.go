package testcerts

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
)

func TestCertificatesVerifyOnlyAgainstTheirCA(t *testing.T) {
	ca, other := NewCA(t, "ca"), NewCA(t, "other")
	srv := ca.Server(t)
	cli := ca.Client(t, "alice", "spiffe://example.org/alice")

	for _, host := range []string{"127.0.0.1", "::1", "localhost"} {
		if _, err := srv.Cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: host}); err != nil {
			t.Errorf("server certificate for %s: %v", host, err)
		}
	}
	clientUse := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	if _, err := cli.Cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: clientUse}); err != nil {
		t.Errorf("client certificate: %v", err)
	}
	if _, err := cli.Cert.Verify(x509.VerifyOptions{Roots: other.Pool(), KeyUsages: clientUse}); err == nil {
		t.Error("a client certificate verified against another CA")
	}
	if _, err := srv.Cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: clientUse}); err == nil {
		t.Error("a server certificate verified for client authentication")
	}
	if len(cli.Cert.URIs) != 1 || cli.Cert.URIs[0].String() != "spiffe://example.org/alice" || cli.Cert.Subject.CommonName != "alice" {
		t.Errorf("client certificate names: %v, %q", cli.Cert.URIs, cli.Cert.Subject.CommonName)
	}
	// The PEM forms are what the parsed forms say.
	pair, err := tls.X509KeyPair(cli.CertPEM, cli.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !pair.Leaf.Equal(cli.Cert) {
		t.Error("CertPEM is not Cert")
	}
}
