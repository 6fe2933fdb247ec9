#!/usr/bin/env bash
# Regenerates the committed schema sets of @strata/schemas (see ../README.md). Not part of the
# build: run it when the target Kubernetes version or a CRD source changes, then commit the result.
#
#   scripts/generate.sh                               built-in set for 1.36.0 and every CRD
#   scripts/generate.sh --kubernetes-version 1.37.0   built-in set of a new target version only (other
#                                                     versions are made per machine by scripts/setup.mjs)
#   scripts/generate.sh --only crds                   CRDs only
#
# Needs python3 with pip, node, go, and `pnpm install` done (for the `yaml` package).
set -euo pipefail

KUBERNETES_VALIDATE_VERSION=1.37.0
KUBERNETES_VALIDATE_SHA256=85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9
CONTROLLER_GEN_VERSION=v0.17.3
DEFAULT_KUBERNETES_VERSION=1.36.0
# The strict ObjectMeta that CRD schemas embed always comes from this version, so the CRD set
# does not change with --kubernetes-version.
CRD_OBJECT_META_VERSION=$DEFAULT_KUBERNETES_VERSION

die() { echo "generate.sh: $*" >&2; exit 1; }
usage() { sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit "${1:-0}"; }

kubernetes_version=""
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --kubernetes-version) [ $# -ge 2 ] || die "--kubernetes-version needs a value such as 1.36.0"; kubernetes_version=$2; shift 2 ;;
    --only) [ $# -ge 2 ] || die "--only needs builtin or crds"; only=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "generate.sh: unknown argument $1" >&2; usage 2 ;;
  esac
done
if [ -z "$only" ]; then
  # Another version is an addition to the committed set, not a reason to rebuild the CRDs.
  if [ -n "$kubernetes_version" ] && [ "$kubernetes_version" != "$DEFAULT_KUBERNETES_VERSION" ]; then only=builtin; else only=all; fi
fi
case "$only" in all|builtin|crds) ;; *) die "--only must be builtin or crds, not $only" ;; esac
kubernetes_version=${kubernetes_version:-$DEFAULT_KUBERNETES_VERSION}
[[ "$kubernetes_version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "--kubernetes-version must look like 1.36.0, not $kubernetes_version"

for tool in python3 node; do command -v "$tool" >/dev/null || die "$tool is required"; done
scripts=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pkg=$(dirname "$scripts")
[ "$only" = builtin ] || command -v go >/dev/null || die "go is required to build the CRDs"
[ "$only" = builtin ] || [ -d "$pkg/node_modules/yaml" ] || die "run pnpm install first (the CRD step reads YAML with the yaml package)"

work=$(mktemp -d "${TMPDIR:-/tmp}/strata-schemas.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Replaces a committed output directory with a freshly generated one in one step.
replace_dir() {
  local fresh=$1 target=$2
  mkdir -p "$(dirname "$target")"
  rm -rf "$target.old"
  [ ! -e "$target" ] || mv "$target" "$target.old"
  mv "$fresh" "$target"
  rm -rf "$target.old"
}

echo "fetching kubernetes-validate $KUBERNETES_VALIDATE_VERSION from PyPI"
python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" -d "$work/wheel"
wheel=$(ls "$work"/wheel/*.whl)
echo "$KUBERNETES_VALIDATE_SHA256  $wheel" | sha256sum --check --quiet - || die "unexpected checksum for $wheel"
python3 -m zipfile -e "$wheel" "$work/wheel/files"
source_root="$work/wheel/files/kubernetes_validate/kubernetes-json-schema"

if [ "$only" != crds ]; then
  src="$source_root/v$kubernetes_version-local-strict"
  [ -d "$src" ] || die "kubernetes-validate $KUBERNETES_VALIDATE_VERSION has no schemas for $kubernetes_version; it has: $(ls "$source_root" | grep strict | tr '\n' ' ')"
  node "$scripts/builtin.mjs" "$src" "$work/builtin"
  replace_dir "$work/builtin" "$pkg/kubernetes/v$kubernetes_version-standalone-strict"
  # When each built-in API is served, deprecated and removed, over every version the wheel carries.
  node "$scripts/lifecycle.mjs" "$source_root" "$pkg/kubernetes/api-lifecycle.json"
  # The scope of each built-in kind, from the discovery documents of the Kubernetes release whose
  # kube-apiserver strata verify runs (packages/verify/server/kube-apiserver/go.mod pins it).
  if command -v go >/dev/null; then
    k8s=$(sed -n 's/^[[:space:]]*k8s.io\/kubernetes \(v[0-9.]*\)$/\1/p' "$pkg/../verify/server/kube-apiserver/go.mod" | head -1)
    k8s_dir=$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$k8s" | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).Dir)')
    node "$scripts/scopes.mjs" "$k8s_dir/api/discovery" "$pkg/kubernetes/api-scopes.json"
    # The kinds kustomize's namespace transformer leaves without a namespace, from the kyaml module of
    # the kustomize scripts/setup.mjs pins.
    kyaml_dir=$(GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/kustomize/kyaml@v0.21.1" | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).Dir)')
    node "$scripts/kustomize-scopes.mjs" "$kyaml_dir" "$pkg/kubernetes/kustomize-scopes.json"
  else
    echo "go not found: kubernetes/api-scopes.json left as it is" >&2
  fi
fi

if [ "$only" != builtin ]; then
  export GOFLAGS=-mod=mod GOWORK=off GOTOOLCHAIN=local
  echo "installing controller-gen $CONTROLLER_GEN_VERSION"
  GOBIN="$work/bin" go install "sigs.k8s.io/controller-tools/cmd/controller-gen@$CONTROLLER_GEN_VERSION"
  mkdir -p "$work/crds"
  n=0
  while read -r module version package plurals cluster_scoped; do
    case "$module" in ''|'#'*) continue ;; esac
    n=$((n + 1))
    if [[ "$package" != "$module"* ]]; then
      # Not a Go package of the module but a folder in it that holds the CRDs as YAML.
      echo "copying CRDs of $module@$version $package"
      node "$scripts/module-crds.mjs" "$module" "$version" "$package" "$plurals" "$work/crds" || die "cannot copy the CRDs of $module@$version $package"
      continue
    fi
    echo "generating CRDs of $package@$version"
    mod="$work/crdgen-$n"
    mkdir -p "$mod/out"
    # A scratch module that imports the API package, so controller-gen can load it from the
    # module cache exactly at the pinned version.
    (
      cd "$mod"
      go mod init strata.invalid/crdgen >/dev/null 2>&1
      printf 'package main\n\nimport _ "%s"\n\nfunc main() {}\n' "$package" > main.go
      go get "$package@$version" >"$mod/get.log" 2>&1 || { cat "$mod/get.log" >&2; die "go get $package@$version failed; versions the proxy has: go list -m -versions $module"; }
      "$work/bin/controller-gen" crd paths="$package" output:crd:dir="$mod/out" >"$mod/gen.log" 2>&1 || { cat "$mod/gen.log" >&2; die "controller-gen failed for $package@$version"; }
    )
    found=0
    for f in "$mod"/out/*.yaml; do
      base=$(basename "$f" .yaml)
      plural=${base#*_}
      if [ "$plurals" != '*' ] && [[ ",$plurals," != *",$plural,"* ]]; then continue; fi
      found=$((found + 1))
      scope=Namespaced
      if [[ ",$cluster_scoped," == *",$plural,"* ]]; then scope=Cluster; fi
      { echo "# Code generated by packages/schemas/scripts/generate.sh from $module@$version with controller-gen $CONTROLLER_GEN_VERSION. DO NOT EDIT."
        if [ "$scope" = Cluster ]; then sed 's/^  scope: Namespaced$/  scope: Cluster/' "$f"; else cat "$f"; fi; } > "$work/crds/$base.yaml"
    done
    if [ "$plurals" != '*' ]; then
      IFS=, read -r -a wanted <<< "$plurals"
      [ "$found" -eq "${#wanted[@]}" ] || die "$package@$version defines $(ls "$mod/out" | tr '\n' ' ') but crd-sources.tsv asks for $plurals"
    fi
  done < "$scripts/crd-sources.tsv"
  node "$scripts/crds.mjs" "$work/crds" "$source_root/v$CRD_OBJECT_META_VERSION-local-strict/_definitions.json" "$work/crds-json"
  replace_dir "$work/crds" "$pkg/crds"
  replace_dir "$work/crds-json" "$pkg/crds-json"
fi

echo "done: $(find "$pkg/kubernetes" "$pkg/crds" "$pkg/crds-json" -type f 2>/dev/null | wc -l) files under $pkg"
