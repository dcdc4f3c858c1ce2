// CoreDNS with the plugins a Kubernetes cluster's Corefile uses, and no others: scripts/cluster/
// tools.sh builds it in a wrapper module that requires github.com/coredns/coredns. CoreDNS's own
// main imports every plugin (cloud DNS providers included), which makes a build several times
// longer and the binary twice as large; the directives keep CoreDNS's order (plugin.cfg).
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/hosts"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

// The plugins above, by the names a Corefile gives them.
var kept = map[string]bool{
	"cache": true, "errors": true, "forward": true, "health": true, "hosts": true, "kubernetes": true,
	"loadbalance": true, "log": true, "loop": true, "prometheus": true, "ready": true, "reload": true,
}

func init() {
	directives := make([]string, 0, len(kept))
	for _, d := range dnsserver.Directives {
		if kept[d] {
			directives = append(directives, d)
		}
	}
	dnsserver.Directives = directives
}

func main() {
	coremain.Run()
}
