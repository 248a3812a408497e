#!/usr/bin/env bash
# Builds the control-plane binaries envtest needs (kube-apiserver, etcd) from the Go module
# proxy into bin/k8s/, because prebuilt envtest assets cannot be downloaded here.
# Binaries already built at the pinned versions are kept: a second run takes seconds.
#
#   hack/envtest-assets.sh            # build what is missing
#   KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh --print-dir)
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.34.4}
ETCD_VERSION=${ETCD_VERSION:-v3.6.4}
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/bin/k8s"

if [[ "${1:-}" == "--print-dir" ]]; then
  echo "$out"
  exit 0
fi

mkdir -p "$out"
stamp="$out/.versions"
want="kube-apiserver=$K8S_VERSION etcd=$ETCD_VERSION"
if [[ -x "$out/kube-apiserver" && -x "$out/etcd" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "envtest assets up to date in $out ($want)" >&2
  exit 0
fi

export GOFLAGS=-mod=mod
export CGO_ENABLED=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build_apiserver() {
  local dir="$work/apiserver"
  mkdir -p "$dir"
  cd "$dir"
  go mod init envtest-builder/apiserver >/dev/null 2>&1
  # kubernetes' go.mod replaces every staging module with a relative path; a module that
  # requires k8s.io/kubernetes must replace each of them with the matching v0.x tag.
  local gomod
  gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
  local staging="v0.${K8S_VERSION#v1.}"
  {
    echo "require k8s.io/kubernetes $K8S_VERSION"
    grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$gomod" |
      awk -v v="$staging" '{print "replace " $1 " => " $1 " " v}'
  } >>go.mod
  go mod tidy -e >/dev/null 2>&1 || true
  cat >tools.go <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO
  go get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" >/dev/null 2>&1
  go build -trimpath -ldflags="-s -w" -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
}

build_etcd() {
  local dir="$work/etcd"
  mkdir -p "$dir"
  cd "$dir"
  go mod init envtest-builder/etcd >/dev/null 2>&1
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null 2>&1
  go build -trimpath -ldflags="-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3
}

if [[ ! -x "$out/etcd" ]] || ! grep -q "etcd=$ETCD_VERSION" "$stamp" 2>/dev/null; then
  echo "building etcd $ETCD_VERSION ..." >&2
  build_etcd
fi
if [[ ! -x "$out/kube-apiserver" ]] || ! grep -q "kube-apiserver=$K8S_VERSION" "$stamp" 2>/dev/null; then
  echo "building kube-apiserver $K8S_VERSION (about 8 minutes cold) ..." >&2
  build_apiserver
fi
echo "$want" >"$stamp"
echo "envtest assets ready in $out" >&2
