// Command kube-apiserver is the upstream API server, built from the pinned k8s.io/kubernetes
// module so that `strata verify` can check manifests against a real server without a cluster.
package main

import (
	"io"
	"os"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	exitWithParent()
	command := app.NewAPIServerCommand()
	code := cli.Run(command)
	os.Exit(code)
}

// exitWithParent ends the process once standard input reaches end of file, when
// STRATA_EXIT_WITH_STDIN is set. strata holds the write end of that pipe and never writes to it;
// the kernel closes it however strata ends, SIGKILL included, so the server never outlives the run
// that started it. Unlike a parent-death signal this needs no polling, has no window between start
// and arming, and works on every Unix.
func exitWithParent() {
	if os.Getenv("STRATA_EXIT_WITH_STDIN") == "" {
		return
	}
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(3)
	}()
}
