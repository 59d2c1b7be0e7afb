// Command kit is kubegrade's multi-call node binary: one executable holding every
// Kubernetes component the node runs, plus etcd and CoreDNS. It picks the component
// by the name it was started under (a symlink such as /usr/local/bin/kube-apiserver),
// or by its first argument (`kit kubelet --config ...`). One binary instead of nine
// shares the common libraries once, which keeps the node image small.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	kubectl "k8s.io/kubectl/pkg/cmd"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	proxy "k8s.io/kubernetes/cmd/kube-proxy/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kubelet "k8s.io/kubernetes/cmd/kubelet/app"

	"github.com/coredns/coredns/coremain"
	"go.etcd.io/etcd/server/v3/etcdmain"
)

// cobraComponents are the Kubernetes components, each built the way its own main does.
var cobraComponents = map[string]func() *cobra.Command{
	"kube-apiserver":          apiserver.NewAPIServerCommand,
	"kube-controller-manager": controllermanager.NewControllerManagerCommand,
	"kube-scheduler":          func() *cobra.Command { return scheduler.NewSchedulerCommand() },
	"kubelet":                 func() *cobra.Command { return kubelet.NewKubeletCommand(context.Background()) },
	"kube-proxy":              proxy.NewProxyCommand,
	"kubectl":                 kubectl.NewDefaultKubectlCommand,
}

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args
	if !known(name) && len(args) > 1 && known(args[1]) {
		name, args = args[1], args[1:]
		os.Args = args
	}
	switch name {
	case "etcd":
		etcdmain.Main(args)
		return
	case "coredns":
		coremain.Run()
		return
	}
	if newCommand, ok := cobraComponents[name]; ok {
		os.Exit(cli.Run(newCommand()))
	}
	fmt.Fprintf(os.Stderr, "kit: unknown component %q; one of: %v\n", name, names())
	os.Exit(2)
}

func known(name string) bool {
	_, ok := cobraComponents[name]
	return ok || name == "etcd" || name == "coredns"
}

func names() []string {
	all := []string{"etcd", "coredns"}
	for name := range cobraComponents {
		all = append(all, name)
	}
	sort.Strings(all)
	return all
}
