// Command etcd is the upstream etcd server, built from the pinned go.etcd.io/etcd/server/v3 module
// as the storage of the throw-away kube-apiserver that `strata verify` starts.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
