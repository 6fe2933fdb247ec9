// Command strata-kustomize-builder builds many kustomizations in one process.
//
// Starting a `kustomize build` process costs about 90 ms, while building a typical overlay in
// process costs a few milliseconds; with 1,500 overlays the process starts are nearly all of the
// time. This program links the same kustomize library as the pinned kustomize v5.8.1 CLI
// (sigs.k8s.io/kustomize/api v0.21.1) and sets it up the way `kustomize build DIR` does without
// flags, so its output is byte-identical to the CLI's; a test in packages/kustomize proves that on
// every overlay of the repository.
//
// Usage:
//
//	strata-kustomize-builder [-j N] [DIR...]
//
// With no DIR arguments it reads one directory per line from stdin and starts building as soon as
// a line arrives. Paths are relative to the working directory. For every directory it writes one
// JSON line to stdout, in completion order:
//
//	{"overlay":"overlays/dev/app","ok":true,"yaml":"...","millis":3.1}
//	{"overlay":"overlays/dev/bad","ok":false,"yaml":"","error":"...","millis":0.4}
//
// Limitation: a kustomization with an `openapi:` field swaps kyaml's process-wide schema, which in
// one long-lived process would leak into other builds. Strata never emits that field; build such
// trees with the kustomize CLI.
//
// Exit status: 0 when every directory built, 1 when any failed (its line says why), 2 on a usage
// or output error.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/openapi"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

type result struct {
	Overlay string  `json:"overlay"`
	OK      bool    `json:"ok"`
	YAML    string  `json:"yaml"`
	Error   string  `json:"error,omitempty"`
	Millis  float64 `json:"millis"`
}

// options mirrors `kustomize build DIR` in v5.8.1 without flags (commands/build.HonorKustomizeFlags):
// an unset --reorder is ReorderOptionUnspecified, which applies the legacy order unless the
// kustomization has its own sortOptions (forcing ReorderOptionLegacy would do the same but log a
// warning for such kustomizations); --load-restrictor defaults to RootOnly; plugins and Helm are off
// and the managed-by label is added only when KUSTOMIZE_ENABLE_MANAGEDBY_LABEL=on.
func options() *krusty.Options {
	o := krusty.MakeDefaultOptions()
	o.Reorder = krusty.ReorderOptionUnspecified
	o.PluginConfig.HelmConfig.Enabled = false
	o.PluginConfig.HelmConfig.Command = "helm"
	o.AddManagedbyLabel = os.Getenv("KUSTOMIZE_ENABLE_MANAGEDBY_LABEL") == "on"
	return o
}

// build runs one kustomization. A panic inside kustomize becomes that directory's error instead
// of ending the process, and with it every other build in flight.
func build(fs filesys.FileSystem, dir string) (r result) {
	started := time.Now()
	r.Overlay = dir
	defer func() {
		if p := recover(); p != nil {
			r = result{Overlay: dir, Error: fmt.Sprintf("kustomize panicked: %v", p)}
		}
		r.Millis = float64(time.Since(started).Microseconds()) / 1000
	}()
	m, err := krusty.MakeKustomizer(options()).Run(fs, dir)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	yml, err := m.AsYaml()
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.OK = true
	r.YAML = string(yml)
	return r
}

func main() {
	workers := flag.Int("j", runtime.NumCPU(), "overlays built at the same time")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: strata-kustomize-builder [-j N] [DIR...]  (no DIR: one per line on stdin)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *workers < 1 {
		fmt.Fprintln(os.Stderr, "strata-kustomize-builder: -j must be at least 1")
		os.Exit(2)
	}

	// kustomize allocates a lot and keeps little: a build's objects are garbage once its YAML is
	// written. Collecting when the heap has grown fivefold instead of twofold spends far less time in
	// the collector for a heap that stays around 150 MB. GOGC, when set, still decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}

	// kyaml parses its built-in OpenAPI schema into package-level maps on first use and reads them
	// without a lock afterwards (openapi.IsNamespaceScoped), so two builds racing through that first
	// use can crash the process. Parse it once before any worker starts; later reads only read.
	// The answers do not change: built-in kinds come from a precomputed table either way, and
	// custom resources are absent from the built-in schema either way.
	openapi.SchemaForResourceType(yaml.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"})

	dirs := make(chan string, 256)
	go func() {
		defer close(dirs)
		if flag.NArg() > 0 {
			for _, d := range flag.Args() {
				dirs <- d
			}
			return
		}
		in := bufio.NewScanner(os.Stdin)
		in.Buffer(make([]byte, 64*1024), 1024*1024)
		for in.Scan() {
			if d := strings.TrimSpace(in.Text()); d != "" {
				dirs <- d
			}
		}
	}()

	results := make(chan result, *workers)
	var wg sync.WaitGroup
	fs := filesys.MakeFsOnDisk()
	for i := 0; i < *workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range dirs {
				results <- build(fs, d)
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	failed := false
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for r := range results {
		if !r.OK {
			failed = true
		}
		if err := enc.Encode(r); err != nil {
			exitWriteError(err)
		}
		// Flush per result so the caller can use each one as it arrives, not when all are done.
		if err := out.Flush(); err != nil {
			exitWriteError(err)
		}
	}
	if failed {
		os.Exit(1)
	}
}

func exitWriteError(err error) {
	fmt.Fprintf(os.Stderr, "strata-kustomize-builder: writing results: %v\n", err)
	os.Exit(2)
}
