#!/usr/bin/env bash
# Runs the test suite again on Node 22, the Lambda runtime svc-mesh targets (nodejs22.x), when the
# machine's own node is another major. Node 22 comes from the npm registry (the node-linux-<arch>
# package holds the official binary), cached under node_modules/.cache; nothing is installed
# system-wide. Usage: npm run test:node22 [-- <vitest args>]
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=22.23.3
case "$(uname -m)" in
  x86_64) ARCH=x64 ;;
  aarch64 | arm64) ARCH=arm64 ;;
  *) echo "test-node22: no Node 22 package for $(uname -m)" >&2; exit 1 ;;
esac
DIR=node_modules/.cache/node-$VERSION
NODE="$DIR/package/bin/node"
if [ ! -x "$NODE" ]; then
  mkdir -p "$DIR"
  echo "test-node22: fetching node-linux-$ARCH@$VERSION from the npm registry (once)" >&2
  (cd "$DIR" && npm pack --silent "node-linux-$ARCH@$VERSION" >/dev/null && tar xzf "node-linux-$ARCH-$VERSION.tgz" && rm "node-linux-$ARCH-$VERSION.tgz")
fi
"$NODE" --version >&2
# Workers the local mesh starts use process.execPath, so they run on Node 22 as well.
PATH="$(pwd)/$DIR/package/bin:$PATH" exec "$NODE" node_modules/vitest/vitest.mjs run "$@"
