#!/usr/bin/env bash
# Makes kubectl available to the scale benchmark (npm run bench:scale), at the version of the
# local kube-apiserver (1.20), and prints its path.
#
# Order of preference: $KSPEC_KUBECTL when set; the cached copy in $KSPEC_ASSETS_DIR (default
# ~/.cache/kspec/assets, next to kube-apiserver); otherwise the kubectl of Debian's
# kubernetes-client package, built from the same Debian source package as kube-apiserver. The
# package is downloaded and unpacked, not installed, so it never replaces another kubectl on the
# machine (a Google Cloud SDK one, for example). Nothing here downloads a prebuilt binary from
# outside Debian.
set -euo pipefail

if [[ -n "${KSPEC_KUBECTL:-}" && -x "$KSPEC_KUBECTL" ]]; then echo "$KSPEC_KUBECTL"; exit 0; fi

ASSETS="${KSPEC_ASSETS_DIR:-$HOME/.cache/kspec/assets}"
mkdir -p "$ASSETS"
exec 9>"$ASSETS/.kubectl.lock"
flock 9

if [[ ! -x "$ASSETS/kubectl" ]]; then
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  echo "[kubectl] unpacking kubectl from Debian's kubernetes-client package" >&2
  (cd "$WORK" && apt-get download -qq kubernetes-client >&2) || {
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq >&2
    (cd "$WORK" && apt-get download -qq kubernetes-client >&2)
  }
  dpkg-deb -x "$WORK"/kubernetes-client_*.deb "$WORK/root"
  cp "$WORK/root/usr/bin/kubectl" "$ASSETS/kubectl.tmp"
  mv "$ASSETS/kubectl.tmp" "$ASSETS/kubectl"
fi

echo "$ASSETS/kubectl"
