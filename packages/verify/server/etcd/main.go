// Command etcd is the upstream etcd server, built from the pinned go.etcd.io/etcd/server/v3 module
// as the storage of the throw-away kube-apiserver that `strata verify` starts.
package main

import (
	"io"
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	exitWithParent()
	etcdmain.Main(os.Args)
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
