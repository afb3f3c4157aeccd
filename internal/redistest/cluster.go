package redistest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ClusterConfig shapes a Redis Cluster. Its zero value is three masters
// without replicas and a node timeout of one second.
type ClusterConfig struct {
	// Masters is the number of masters the slots are spread over
	// (0: 3, the fewest Redis accepts).
	Masters int
	// Replicas is the number of replicas of each master.
	Replicas int
	// NodeTimeout is the cluster-node-timeout: how long a node may be
	// unreachable before the others count it as failed and its replica
	// takes over (0: 1s; Redis's default, 15s, is too long for tests).
	NodeTimeout time.Duration
}

// Cluster is a Redis Cluster on loopback ports: one redis-server process
// per node, each of which the test can kill and restart, formed with
// redis-cli --cluster create. The nodes are open (no TLS, no ACL user).
type Cluster struct {
	t     testing.TB
	cfg   ClusterConfig
	nodes []*Server
}

// StartCluster starts the nodes of a fresh cluster shaped by cfg, creates
// the cluster and waits until every node reports it healthy (see
// Healthy). It skips the test (fails it when CI=true) if there is no
// redis-server or redis-cli binary. Creating a six-node cluster takes a
// second or two.
func StartCluster(t testing.TB, cfg ClusterConfig) *Cluster {
	t.Helper()
	if cfg.Masters == 0 {
		cfg.Masters = 3
	}
	if cfg.NodeTimeout == 0 {
		cfg.NodeTimeout = time.Second
	}
	bin, cli := lookPath(t, "redis-server"), lookPath(t, "redis-cli")
	c := &Cluster{t: t, cfg: cfg}
	dir := t.TempDir()
	create := []string{"--cluster", "create"}
	for range cfg.Masters * (1 + cfg.Replicas) {
		s := &Server{t: t, bin: bin, port: clusterPort(t)}
		// A directory of its own: a replica writes the master's data
		// there when it syncs.
		nodeDir := filepath.Join(dir, strconv.Itoa(s.port))
		if err := os.Mkdir(nodeDir, 0o755); err != nil {
			t.Fatal(err)
		}
		s.args = []string{"--dir", nodeDir, "--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(nodeDir, "nodes.conf"),
			"--cluster-node-timeout", strconv.FormatInt(cfg.NodeTimeout.Milliseconds(), 10),
			// A master otherwise waits 5s for more replicas before it
			// sends its data to the first.
			"--repl-diskless-sync-delay", "0"}
		s.Restart()
		t.Cleanup(s.Kill)
		c.nodes = append(c.nodes, s)
		create = append(create, s.Addr())
	}
	// redis-cli makes the first Masters nodes masters and gives each the
	// next ones as replicas.
	create = append(create, "--cluster-replicas", strconv.Itoa(cfg.Replicas), "--cluster-yes")
	began := time.Now()
	if out, err := exec.Command(cli, create...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli %s: %v\n%s", strings.Join(create, " "), err, out)
	}
	created := time.Now()
	c.WaitHealthy(10 * time.Second)
	t.Logf("redistest: cluster of %d nodes created in %v, healthy %v later", len(c.nodes),
		created.Sub(began).Round(time.Millisecond), time.Since(created).Round(time.Millisecond))
	return c
}

// Addrs returns the address of every node, for a client's seed list.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.nodes))
	for i, s := range c.nodes {
		addrs[i] = s.Addr()
	}
	return addrs
}

// MasterOf returns the node that serves key's slot now, as a live node
// sees it.
func (c *Cluster) MasterOf(key string) *Server {
	c.t.Helper()
	for _, s := range c.live() {
		slot, err := s.do("CLUSTER", "KEYSLOT", key)
		if err != nil {
			continue
		}
		n, _ := strconv.Atoi(slot)
		view, err := c.view(s)
		if err != nil {
			continue
		}
		if m := view.owner[n]; m != nil {
			return m
		}
	}
	c.t.Fatalf("no live node knows the master of %q", key)
	return nil
}

// Kill kills every node, as a crash of the whole cluster would.
func (c *Cluster) Kill() {
	for _, s := range c.nodes {
		s.Kill()
	}
}

// Restart starts every killed node again, on its port and with its
// cluster configuration (but no data), and waits until the cluster is
// healthy.
func (c *Cluster) Restart() {
	c.t.Helper()
	for _, s := range c.nodes {
		if !s.running() {
			s.Restart()
		}
	}
	c.WaitHealthy(10 * time.Second)
}

// WaitHealthy waits until the cluster is Healthy, failing the test after
// timeout with every live node's view of the cluster.
func (c *Cluster) WaitHealthy(timeout time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := c.Healthy()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			var views strings.Builder
			for _, s := range c.live() {
				nodes, _ := s.do("CLUSTER", "NODES")
				fmt.Fprintf(&views, "\n%s sees:\n%s", s.Addr(), nodes)
			}
			c.t.Fatalf("the cluster is not healthy after %v: %v%s", timeout, err, views.String())
		}
		// Polling outside processes, not synchronising goroutines.
		time.Sleep(20 * time.Millisecond)
	}
}

// Healthy returns nil if every live node says the cluster is ok, sees
// every slot served by a live node flagged neither failed nor suspected,
// and, for a replica, is in sync with its master; otherwise what is not
// so. After a master is killed, the cluster is healthy again once a
// replica has taken its slots.
func (c *Cluster) Healthy() error {
	live := c.live()
	for _, s := range live {
		info, err := s.do("CLUSTER", "INFO")
		if err != nil {
			return fmt.Errorf("%s: CLUSTER INFO: %w", s.Addr(), err)
		}
		if !strings.Contains(info, "cluster_state:ok") {
			return fmt.Errorf("%s: cluster_state is not ok", s.Addr())
		}
		view, err := c.view(s)
		if err != nil {
			return err
		}
		for slot, m := range view.owner {
			if m == nil || !m.running() || view.failing[m] {
				return fmt.Errorf("%s: slot %d has no live master", s.Addr(), slot)
			}
		}
		repl, err := s.do("INFO", "replication")
		if err != nil {
			return fmt.Errorf("%s: INFO replication: %w", s.Addr(), err)
		}
		if strings.Contains(repl, "role:slave") && !strings.Contains(repl, "master_link_status:up") {
			return fmt.Errorf("%s: a replica out of sync with its master", s.Addr())
		}
	}
	if len(live) == 0 {
		return fmt.Errorf("no node is running")
	}
	return nil
}

// clusterView is what one node says of the cluster: the node serving
// each slot, and the nodes it flags as failed or suspected.
type clusterView struct {
	owner   [16384]*Server
	failing map[*Server]bool
}

// view parses s's CLUSTER NODES: lines of "id addr@busport flags master
// ping pong epoch link slot...", slots as "a-b" or "a".
func (c *Cluster) view(s *Server) (*clusterView, error) {
	out, err := s.do("CLUSTER", "NODES")
	if err != nil {
		return nil, fmt.Errorf("%s: CLUSTER NODES: %w", s.Addr(), err)
	}
	v := &clusterView{failing: make(map[*Server]bool)}
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		node := c.byAddr(addr)
		if node == nil {
			continue
		}
		if strings.Contains(f[2], "fail") { // fail and fail?
			v.failing[node] = true
		}
		for _, r := range f[8:] {
			if strings.HasPrefix(r, "[") {
				continue // a slot being migrated
			}
			lo, hi, ok := strings.Cut(r, "-")
			if !ok {
				hi = lo
			}
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if err1 != nil || err2 != nil || a < 0 || b >= len(v.owner) {
				return nil, fmt.Errorf("%s: slot range %q in CLUSTER NODES", s.Addr(), r)
			}
			for i := a; i <= b; i++ {
				v.owner[i] = node
			}
		}
	}
	return v, nil
}

func (c *Cluster) byAddr(addr string) *Server {
	for _, s := range c.nodes {
		if s.Addr() == addr {
			return s
		}
	}
	return nil
}

func (c *Cluster) live() []*Server {
	var live []*Server
	for _, s := range c.nodes {
		if s.running() {
			live = append(live, s)
		}
	}
	return live
}

// clusterPort returns a free loopback port whose cluster bus port (the
// port + 10000, as every Redis version places it by default) is free too.
func clusterPort(t testing.TB) int {
	t.Helper()
	for range 100 {
		p := freePort(t)
		if p+10000 > 65535 {
			continue
		}
		if portFree(p + 10000) {
			return p
		}
	}
	t.Fatal("no free pair of loopback ports (p, p+10000) for a cluster node")
	return 0
}
