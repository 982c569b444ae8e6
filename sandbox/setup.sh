#!/usr/bin/env bash
# Sets up everything Rollout Studio needs on a Debian machine, as root. Idempotent: what is already there
# (Docker engine, Node.js >= 20, images with an unchanged recipe hash, node_modules for an unchanged lockfile)
# is kept. Afterwards `rollout` is a command (/usr/local/bin/rollout → dist/cli.js).
#   bash sandbox/setup.sh           what the CLI and the demo need
#   bash sandbox/setup.sh --tests   that, plus what the test suites need (a real VS Code host, Chromium, the trainer venv, Redis, Ceph RGW, an image registry, an SSH server)
set -euo pipefail
cd "$(dirname "$0")/.."
want_tests=false
[ "${1:-}" = "--tests" ] && want_tests=true

step() { printf '\n== setup: %s\n' "$*"; }
fail() { printf 'setup failed: %s\n' "$*" >&2; exit 1; }

apt_updated=false
apt_install() {
  local missing=()
  for package in "$@"; do dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || fail "need root to install ${missing[*]} (run: sudo bash sandbox/setup.sh)"
  if ! $apt_updated; then apt-get update -qq; apt_updated=true; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

engine_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

step "Docker engine and image builder"
if ! command -v dockerd >/dev/null && ! engine_answers; then apt_install docker.io; fi
apt_install mmdebstrap git ca-certificates
if ! engine_answers; then
  [ -n "${DOCKER_HOST:-}" ] && fail "DOCKER_HOST=$DOCKER_HOST does not answer"
  echo "starting dockerd (log: /var/log/rollout-dockerd.log)"
  # A dockerd killed with its session leaves its pid file behind, and a new one refuses to start over it.
  for pidfile in /var/run/docker.pid /var/run/docker/containerd/containerd.pid; do
    if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then rm -f "$pidfile"; fi
  done
  setsid nohup dockerd >/var/log/rollout-dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 60); do engine_answers && break; sleep 0.5; done
  engine_answers || { tail -20 /var/log/rollout-dockerd.log >&2; fail "dockerd did not start"; }
fi
echo "engine: Docker $(docker version --format '{{.Server.Version}}')"

step "Node.js >= 20 and the rollout command"
bash sandbox/setup-node.sh

step "npm packages"
lock_hash=$(sha256sum package-lock.json | cut -c1-16)
if [ "$(cat node_modules/.rollout-lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  # onnxruntime-node would otherwise try to download CUDA libraries; its CPU binaries ship in the package.
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.rollout-lock-hash
else
  echo "node_modules matches package-lock.json"
fi

step "build"
npm run --silent build

step "sandbox images (rebuilt only when a recipe in sandbox/images changes)"
node dist/cli.js images build

if $want_tests; then
  # For the tests of --docker-host ssh://, which start their own sshd on loopback with their own keys and config.
  step "SSH server"
  apt_install openssh-server
  for extra in scripts/e2e/install-vscode-host.sh sandbox/trainer/setup-venv.sh sandbox/queue/setup-redis.sh sandbox/queue/setup-s3.sh sandbox/registry/setup-registry.sh; do
    if [ -f "$extra" ]; then step "$extra"; bash "$extra"; fi
  done
fi
step "done"
