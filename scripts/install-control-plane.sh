#!/usr/bin/env bash
# Makes a real etcd and kube-apiserver available for the local control plane and the tests.
# Prints the folder that holds both binaries (the same layout as KUBEBUILDER_ASSETS).
#
# Order of preference: $KUBEBUILDER_ASSETS when it already has both binaries; the cached build
# in $KSPEC_ASSETS_DIR (default ~/.cache/kspec/assets); otherwise Debian's etcd-server and a
# kube-apiserver built once from Debian's kubernetes source package. Nothing here downloads a
# prebuilt binary: only Debian packages are used.
set -euo pipefail

log() { echo "[control-plane] $*" >&2; }

if [[ -n "${KUBEBUILDER_ASSETS:-}" && -x "$KUBEBUILDER_ASSETS/etcd" && -x "$KUBEBUILDER_ASSETS/kube-apiserver" ]]; then
  echo "$KUBEBUILDER_ASSETS"; exit 0
fi

ASSETS="${KSPEC_ASSETS_DIR:-$HOME/.cache/kspec/assets}"
mkdir -p "$ASSETS"
exec 9>"$ASSETS/.lock"
flock 9

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt-install-quiet.sh"
apt_updated=""
apt_install() {
  if [[ -z "$apt_updated" ]]; then $SUDO apt-get update -qq >&2; apt_updated=1; fi
  apt_install_without_services "$@" >&2
}

if [[ ! -x "$ASSETS/etcd" ]]; then
  if ! command -v etcd >/dev/null && [[ ! -x /usr/bin/etcd ]]; then
    log "installing Debian's etcd-server"
    # Installed without starting the package's system etcd: the tests run their own, on free ports.
    apt_install etcd-server
  fi
  ln -sf "$(command -v etcd || echo /usr/bin/etcd)" "$ASSETS/etcd"
fi

# Bump when the build recipe changes, so that cached binaries from an older recipe are rebuilt.
RECIPE="kube-apiserver 1.20 from Debian source; vendored reflect2 replaced by Debian's 1.0.2"
if [[ ! -x "$ASSETS/kube-apiserver" || "$(cat "$ASSETS/kube-apiserver.recipe" 2>/dev/null)" != "$RECIPE" ]]; then
  rm -f "$ASSETS/kube-apiserver" "$ASSETS/kube-apiserver.recipe"
  command -v go >/dev/null || apt_install golang-go
  command -v dpkg-source >/dev/null || apt_install dpkg-dev
  command -v rsync >/dev/null || apt_install rsync
  if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
    log "adding a deb-src entry"
    if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
      $SUDO sed -i 's/^Types: deb$/Types: deb deb-src/' /etc/apt/sources.list.d/debian.sources
    else
      echo "deb-src http://deb.debian.org/debian bookworm main" | $SUDO tee /etc/apt/sources.list.d/kspec-src.list >/dev/null
    fi
    $SUDO apt-get update -qq >&2; apt_updated=1
  fi
  BUILD="$ASSETS/../build"
  rm -rf "$BUILD"; mkdir -p "$BUILD"
  log "fetching Debian's kubernetes source package"
  (cd "$BUILD" && apt-get source -qq kubernetes >&2)
  SRC=$(find "$BUILD" -maxdepth 1 -mindepth 1 -type d -name 'kubernetes-*' | head -n1)
  # Kubernetes 1.20 vendors github.com/modern-go/reflect2 1.0.1, whose map iteration reaches into
  # Go runtime internals that changed in Go 1.18: built with bookworm's Go 1.19, kube-apiserver
  # dies with SIGSEGV (aeshashbody / mapiterinit) on the first custom resource it encodes.
  # reflect2 1.0.2 fixes that; Debian packages it, so swap it into the vendor tree.
  R2_SRC=/usr/share/gocode/src/github.com/modern-go/reflect2
  [[ -f "$R2_SRC/go_above_118.go" ]] || apt_install golang-github-modern-go-reflect2-dev
  R2="$SRC/vendor/github.com/modern-go/reflect2"
  rm -rf "$R2"; mkdir -p "$R2"
  cp "$R2_SRC"/*.go "$R2_SRC"/*.s "$R2/"
  log "building kube-apiserver in $SRC (takes several minutes)"
  (cd "$SRC" && GOFLAGS=-mod=vendor GOTOOLCHAIN=local make WHAT=cmd/kube-apiserver >&2)
  BIN=$(find "$SRC/_output" -type f -name kube-apiserver -perm -u+x | head -n1)
  cp "$BIN" "$ASSETS/kube-apiserver"
  echo "$RECIPE" > "$ASSETS/kube-apiserver.recipe"
  rm -rf "$BUILD"
fi

echo "$ASSETS"
