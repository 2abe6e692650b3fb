#!/bin/sh
# Install Debian packages that are missing: apt-get install, refreshing the package lists only
# if the first attempt fails; a clear message when it cannot. Usage: apt-install.sh PACKAGE...
set -eu
missing=""
for package in "$@"; do
    # "install ok installed": a package removed but not purged is still listed by dpkg -s.
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing="$missing $package"
done
[ -z "$missing" ] && exit 0
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 || {
    echo "install failed, refreshing the package lists (apt-get update) and retrying"
    $sudo apt-get update -qq >/dev/null && $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
} || {
    echo "could not install:$missing (apt-get install$missing by hand, then try again)" >&2
    exit 1
}
