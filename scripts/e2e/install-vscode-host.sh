#!/usr/bin/env bash
# Installs the real VS Code host that the e2e suite drives, on Debian, as root:
#   - Debian packages: libkrb5-dev (code-server's kerberos addon builds against it), ripgrep (stands in for
#     @vscode/ripgrep's download, which cannot be fetched here), chromium (the browser that opens the workbench),
#     the native-addon toolchain (build-essential, python3), and unzip (the VSIX test unpacks the package).
#   - code-server (VS Code as a server, from npm) into a folder of its own, outside the project's node_modules.
# Idempotent: each part is skipped when what is installed already matches.
# Usage: bash scripts/e2e/install-vscode-host.sh        (env: VSCODE_HOST_DIR to install elsewhere)
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
# The @vscode/ripgrep that code-server's bundled VS Code pins, and the ripgrep build its postinstall downloads.
VSCODE_RIPGREP_VERSION=1.15.11
RIPGREP_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
# npm 11 runs a dependency's install scripts only where the project's allowScripts approves them. code-server
# (its postinstall installs VS Code's own dependencies) and argon2 (a native addon) are the ones at the top.
HOST_PACKAGE_JSON='{ "name": "rollout-studio-vscode-host", "private": true, "allowScripts": { "code-server": true, "argon2": true } }'

project_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
host_dir=${VSCODE_HOST_DIR:-$project_root/.vscode-test/code-server}
installed_marker=$host_dir/installed-version

log() { printf '[install-vscode-host] %s\n' "$*"; }
fail() { printf '[install-vscode-host] error: %s\n' "$*" >&2; exit 1; }

install_debian_packages() {
  local wanted=(libkrb5-dev ripgrep chromium build-essential python3 unzip)
  local missing=()
  for package in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "Debian packages present: ${wanted[*]}"
    return
  fi
  [ "$(id -u)" = 0 ] || fail "missing Debian packages (${missing[*]}) and not root: run this script as root"
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# @vscode/ripgrep's postinstall looks in this cache before downloading; a tarball holding Debian's rg serves it.
seed_ripgrep_cache() {
  local cache_dir=${TMPDIR:-/tmp}/vscode-ripgrep-cache-$VSCODE_RIPGREP_VERSION
  mkdir -p "$cache_dir"
  [ -s "$cache_dir/$RIPGREP_ASSET" ] || tar -czf "$cache_dir/$RIPGREP_ASSET" -C "$(dirname "$(command -v rg)")" rg
}

code_server_is_installed() {
  [ -f "$installed_marker" ] && [ "$(cat "$installed_marker")" = "$CODE_SERVER_VERSION" ] &&
    [ -x "$host_dir/node_modules/.bin/code-server" ] &&
    [ -e "$host_dir/node_modules/code-server/lib/vscode/node_modules/node-pty/build/Release/pty.node" ]
}

install_code_server() {
  if code_server_is_installed; then
    log "code-server $CODE_SERVER_VERSION already installed in $host_dir"
    return
  fi
  log "installing code-server $CODE_SERVER_VERSION into $host_dir (about 2 minutes)"
  rm -rf "$host_dir"
  mkdir -p "$host_dir"
  echo "$HOST_PACKAGE_JSON" > "$host_dir/package.json"
  seed_ripgrep_cache
  # npm_config_yes: node-pty's build runs `npx node-gyp`. unsafe-perm: code-server's postinstall insists on it as root.
  (cd "$host_dir" &&
    npm_config_yes=true npm_config_unsafe_perm=true npm install --no-audit --no-fund --foreground-scripts "code-server@$CODE_SERVER_VERSION")
  verify_code_server
  echo "$CODE_SERVER_VERSION" > "$installed_marker"
}

verify_code_server() {
  local vscode_dir=$host_dir/node_modules/code-server/lib/vscode
  for built in node_modules/node-pty/build/Release/pty.node node_modules/@vscode/spdlog/build/Release/spdlog.node \
    node_modules/@vscode/ripgrep/bin/rg; do
    [ -e "$vscode_dir/$built" ] || fail "code-server installed without $built: its install scripts did not run"
  done
  local version scratch
  # code-server writes a default config on every start: keep it out of the home directory.
  scratch=$(mktemp -d)
  version=$(XDG_CONFIG_HOME=$scratch XDG_DATA_HOME=$scratch "$host_dir/node_modules/.bin/code-server" --version | tail -1)
  rm -rf "$scratch"
  case "$version" in "$CODE_SERVER_VERSION "*) ;; *) fail "code-server --version says '$version'" ;; esac
  log "code-server verified: $version"
}

install_debian_packages
install_code_server
command -v chromium > /dev/null || fail "chromium is not on PATH"
log "ready: $host_dir/node_modules/.bin/code-server and $(command -v chromium)"
