# Sourced by .ci/run and scripts/install-control-plane.sh.
#
# apt_install_without_services PKG...: installs Debian packages without letting their maintainer
# scripts start the services they ship (Debian's prometheus and etcd-server start a system daemon
# on the default ports). invoke-rc.d asks /usr/sbin/policy-rc.d first, and exit code 101 means
# "action forbidden", so no service starts. The file is ours only when it did not exist before:
# an existing policy (a Docker image ships one) is left exactly as it was.
#
# Needs $SUDO ("" or "sudo") set by the caller. KSPEC_POLICY_RC_D moves the policy file (tests).

apt_install_without_services() {
  local policy="${KSPEC_POLICY_RC_D:-/usr/sbin/policy-rc.d}" created="" status=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\n# kspec: no service starts while packages are installed\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    created=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" || status=$?
  if [[ -n "$created" ]]; then $SUDO rm -f "$policy"; fi
  return "$status"
}
