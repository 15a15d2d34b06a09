#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when it is missing (CI, fresh machines).
# playwright-core drives /usr/bin/chromium; it never downloads a browser of its own.
# Never prompts: without root or password-less sudo it says what is needed and stops.
set -euo pipefail
CHROMIUM="${SVC_MESH_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then exit 0; fi
need() {
  echo "setup-browser: the browser tests need Debian's chromium at $CHROMIUM, which is missing." >&2
  echo "setup-browser: $1 Install it once with: sudo apt-get install chromium" >&2
  exit 1
}
SUDO=""
if [ "$(id -u)" != "0" ]; then
  command -v sudo >/dev/null || need "This user is not root and has no sudo."
  # -n: fail instead of asking for a password in the middle of 'npm test'
  sudo -n true 2>/dev/null || need "Installing it needs root, and sudo would ask for a password."
  SUDO="sudo -n"
fi
echo "setup-browser: installing Debian chromium (once)" >&2
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
"$CHROMIUM" --version >&2
