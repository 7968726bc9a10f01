#!/usr/bin/env bash
# Builds the local platform's components (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kwok) from the Go modules pinned in build/*/go.mod into a cache folder
# outside the clone. Does nothing when the binaries match the pinned modules.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KUBE_VERSION=v1.37.2
cache="${VIGIE_STACK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vigie/stack/$KUBE_VERSION}"
bin="$cache/bin"
mkdir -p "$bin"

# One stamp per component: the hash of its pinning module and of this script's flags.
stamp_of() { cat "$here/build/$1/go.mod" "$here/build/$1/go.sum" <(echo "$2") | sha256sum | cut -d' ' -f1; }

build() { # build <module dir> <flags> <binary>...
  local mod="$1" flags="$2"; shift 2
  local want; want="$(stamp_of "$mod" "$flags")"
  local ok=1
  for b in "$@"; do
    [[ -x "$bin/$b" && -f "$bin/$b.stamp" && "$(cat "$bin/$b.stamp")" == "$want" ]] || ok=0
  done
  if [[ $ok == 1 ]]; then echo "stack build: $mod up to date"; return; fi
  echo "stack build: building $* (this takes ~15 min on a cold Go build cache)"
  local pkgs=()
  for b in "$@"; do
    case "$b" in
      etcd) pkgs+=(go.etcd.io/etcd/server/v3) ;;
      kwok) pkgs+=(sigs.k8s.io/kwok/cmd/kwok) ;;
      *) pkgs+=("k8s.io/kubernetes/cmd/$b") ;;
    esac
  done
  for i in "${!pkgs[@]}"; do
    local b="${@:$((i+1)):1}"
    ( cd "$here/build/$mod" && eval "CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath $flags -o '$bin/$b.tmp' '${pkgs[$i]}'" )
    mv "$bin/$b.tmp" "$bin/$b"
    echo "$want" > "$bin/$b.stamp"
  done
}

ver="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37"
ver="$ver -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=37"
build etcd "-ldflags '-s -w'" etcd
build kwok "-ldflags '-s -w'" kwok
build kube "-tags selinux,notest,grpcnotrace -ldflags '-s -w $ver'" kube-apiserver kube-controller-manager kube-scheduler

# kwok's own stage definitions ship in its module; keep a copy beside the binaries.
kwokdir="$(cd "$here/build/kwok" && GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
mkdir -p "$cache/kwok-stage"
for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
         pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
  install -m 0644 "$kwokdir/kustomize/stage/$f" "$cache/kwok-stage/$(basename "$f")"
done
echo "stack build: binaries in $bin"
