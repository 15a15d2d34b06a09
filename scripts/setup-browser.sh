#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when it is missing (CI, fresh machines).
# playwright-core drives /usr/bin/chromium; it never downloads a browser of its own.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != "0" ] && ! command -v sudo >/dev/null; then
  echo "setup-browser: /usr/bin/chromium is missing and this user cannot install it; run 'apt-get install chromium' as root" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" != "0" ] && SUDO=sudo
echo "setup-browser: installing Debian chromium (once)" >&2
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version >&2
