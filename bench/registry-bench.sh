#!/usr/bin/env bash
# Registry benchmark: Stowage's docker hosted repository against CNCF distribution (Debian's
# `docker-registry`, 2.8.x), side by side on this machine, in one run. Everything listens on
# 127.0.0.1 only; every loop is bounded; everything started here is stopped on exit.
#
#   bench/registry-bench.sh
#
# Measures, for each registry (each started fresh, with an empty storage directory):
#   - a 1 GiB blob push the way docker does it (POST, one streamed PATCH, PUT ?digest=),
#   - a 1 GiB blob pull (GET to /dev/null, median of 3; the sha256 of one more copy is checked),
#   - manifest GET throughput and p99 latency with wrk (-t2 -c32 -d15s),
#   - `docker push` wall time of a 5-layer image (5 x 100 MB of random data) to an empty registry,
#   - the server's peak RSS (VmHWM) right after the 1 GiB push and at the end of its run,
#   - for Stowage only (distribution has no UI): the admin UI's tag page of an image with 10,000
#     tags (server time, first and last page),
# plus this disk's durable write bandwidth (dd ... conv=fdatasync, before and after) for pushes.
# Then distribution stays up, holding the 1 GiB blob, and a fresh Stowage gets a docker proxy
# repository of it: a cold pull of the blob through the proxy (fetched upstream while it is
# streamed) against direct pulls from distribution just before, and warm pulls (cached, median
# of 3) against Stowage's hosted pull.
# Writes the results to docs/benchmarks.md (overwritten) and prints the table.
#
# Environment (all optional): STOWAGE_BIN (default target/release/stowage, built if missing;
# STOWAGE_BIN_COMMIT names the commit it was built from for the report, default this tree's HEAD),
# BENCH_OUT (default docs/benchmarks.md), BENCH_WORK_PARENT (where the temporary work directory
# goes; default $TMPDIR or /tmp), BENCH_KEEP_LOGS (a directory to copy the servers' logs to),
# BLOB_MIB (1024), LAYER_MIB (100), LAYERS (5), WRK_DURATION (15s), UI_TAGS (10000, at most
# 99999). Changing the sizes is for quick trial runs only: the targets are set for the defaults.
# Needs root (apt-get, dockerd).
set -euo pipefail
export LC_ALL=C

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="${BENCH_OUT:-$ROOT/docs/benchmarks.md}"
BLOB_MIB="${BLOB_MIB:-1024}"
LAYER_MIB="${LAYER_MIB:-100}"
LAYERS="${LAYERS:-5}"
WRK_DURATION="${WRK_DURATION:-15s}"
UI_TAGS="${UI_TAGS:-10000}"
UI_GETS=5
UI_LIMIT_MS=200
WRK_THREADS=2
WRK_CONNS=32
PULLS=3
PW="bench-$RANDOM-$RANDOM"
RSS_LIMIT_MIB=64

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }
now_ns() { date +%s%N; }

# --- 1. what it needs ----------------------------------------------------------------------------
[[ $EUID -eq 0 ]] || die "run as root (apt-get and dockerd need it)"
[[ "$UI_TAGS" =~ ^[1-9][0-9]{0,4}$ ]] || die "UI_TAGS=$UI_TAGS: give 1 to 99999 (tags are t00001…)"
need=()
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v curl >/dev/null 2>&1 || need+=(curl)
{ command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1; } || need+=(docker.io)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if ((${#need[@]})); then
    log "installing: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
SRC_BIN="${STOWAGE_BIN:-$ROOT/target/release/stowage}"
if [[ ! -x "$SRC_BIN" ]]; then
    [[ -z "${STOWAGE_BIN:-}" ]] || die "STOWAGE_BIN=$STOWAGE_BIN is not an executable"
    log "building the release binary (cargo build --release --bin stowage)"
    cargo build --release --bin stowage
fi

# --- work directory and clean-up -----------------------------------------------------------------
WORK="$(mktemp -d "${BENCH_WORK_PARENT:-${TMPDIR:-/tmp}}/registry-bench.XXXXXX")"
server_pid=""
upstream_pid="" # distribution, left running for the proxy phase
dockerd_pid=""
stop_pid() { # pid, seconds to wait before SIGKILL
    local pid="$1" i
    [[ -n "$pid" ]] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < $2 * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local rc=$?
    set +e
    stop_pid "$server_pid" 10
    stop_pid "$upstream_pid" 10
    stop_pid "$dockerd_pid" 30
    if [[ -n "${BENCH_KEEP_LOGS:-}" ]]; then
        mkdir -p "$BENCH_KEEP_LOGS"
        for f in stowage/log stowage-proxy/log distribution/log distribution/config.yml docker/log wrk-stowage.txt \
            wrk-distribution.txt push-stowage.log push-distribution.log; do
            [[ -f "$WORK/$f" ]] && cp "$WORK/$f" "$BENCH_KEEP_LOGS/${f//\//-}"
        done
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A private copy of the binary: a rebuild in the work tree during the run does not touch it.
BIN="$WORK/stowage-bin"
cp "$SRC_BIN" "$BIN"
BIN_MTIME="$(date -u -r "$SRC_BIN" '+%Y-%m-%d %H:%M UTC')"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Busy ticks of the whole machine (user, nice, system, irq, softirq, steal), for CPU budgets.
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
CORES="$(nproc)"
# seconds of CPU for $1 ticks, divided by $2 (default 1)
ticks_s() { awk -v t="$1" -v h="$CLK_TCK" -v n="${2:-1}" 'BEGIN { printf "%.2f", t / h / n }'; }
CLK_TCK="$(getconf CLK_TCK)"
ms_between() { echo $((($2 - $1) / 1000000)); }
# MB/s (decimal, as dd prints it) for $1 bytes in $2 ms.
mbps() { awk -v b="$1" -v ms="$2" 'BEGIN { if (ms <= 0) print "n/a"; else printf "%.1f", b / 1e6 / (ms / 1000) }'; }

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"

# How long one core takes to sha256 the blob (the proxy must hash every byte it relays, so this
# bounds the cold pull from below): OpenSSL's figure for 1 MiB blocks, in seconds for BLOB_MIB.
SHA_S=""
if command -v openssl >/dev/null 2>&1; then
    SHA_S="$(openssl speed -seconds 2 -evp sha256 -bytes 1048576 2>/dev/null |
        awk -v b="$((BLOB_MIB * 1024 * 1024))" '$1 == "sha256" || $1 == "SHA256" { k = $NF; sub(/k$/, "", k); if (k > 0) printf "%.2f", b / (k * 1000) }')"
fi

# --- test data -----------------------------------------------------------------------------------
BLOB="$WORK/blob.bin"
BLOB_BYTES=$((BLOB_MIB * 1024 * 1024))
log "writing ${BLOB_MIB} MiB of random data"
head -c "$BLOB_BYTES" /dev/urandom >"$BLOB"
BLOB_HEX="$(sha256sum "$BLOB" | cut -d' ' -f1)"
BLOB_DIGEST="sha256:$BLOB_HEX"
log "blob digest $BLOB_DIGEST"

CONFIG="$WORK/config.json"
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]},"config":{}}' \
    "$BLOB_DIGEST" >"$CONFIG"
CONFIG_DIGEST="sha256:$(sha256sum "$CONFIG" | cut -d' ' -f1)"
MANIFEST="$WORK/manifest.json"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}' \
    "$CONFIG_DIGEST" "$(stat -c %s "$CONFIG")" "$BLOB_DIGEST" "$BLOB_BYTES" >"$MANIFEST"
MANIFEST_HEX="$(sha256sum "$MANIFEST" | cut -d' ' -f1)"
OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json

# --- 2. disk durable write bandwidth -------------------------------------------------------------
# dd's result on a virtual disk varies from run to run, so it runs once before and once after
# the registries; the push target uses the higher (stricter) of the two.
dd_mbps() { # prints MB/s; dd's own summary line goes to $WORK/dd.line
    local out
    sync
    out="$(dd if=/dev/zero of="$WORK/dd.tmp" bs=1M count=1024 conv=fdatasync 2>&1)"
    rm -f "$WORK/dd.tmp"
    # "1073741824 bytes (1.1 GB, 1.0 GiB) copied, 2.34 s, 459 MB/s"
    grep copied <<<"$out" >"$WORK/dd.line"
    awk -F', ' '{ split($1, b, " "); split($(NF-1), t, " "); printf "%.1f", b[1] / 1e6 / t[1] }' "$WORK/dd.line"
}
log "dd: 1 GiB with conv=fdatasync in $WORK"
DD1_MBPS="$(dd_mbps)"
DD1_LINE="$(cat "$WORK/dd.line")"
log "dd (before): $DD1_MBPS MB/s"

# --- dockerd and the 5-layer image ---------------------------------------------------------------
DOCKERD_DIR="$WORK/docker"
mkdir -p "$DOCKERD_DIR" "$WORK/docker-config" "$WORK/image"
export DOCKER_HOST="unix://$DOCKERD_DIR/docker.sock" DOCKER_CONFIG="$WORK/docker-config" DOCKER_BUILDKIT=0
log "starting dockerd"
dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs \
    --data-root "$DOCKERD_DIR/root" --exec-root "$DOCKERD_DIR/exec" --pidfile "$DOCKERD_DIR/pid" \
    --host "$DOCKER_HOST" >"$DOCKERD_DIR/log" 2>&1 </dev/null &
dockerd_pid=$!
for ((i = 0; i < 120; i++)); do
    kill -0 "$dockerd_pid" 2>/dev/null || { tail -20 "$DOCKERD_DIR/log" >&2; die "dockerd exited"; }
    docker version >/dev/null 2>&1 && break
    sleep 0.5
done
docker version >/dev/null 2>&1 || { tail -20 "$DOCKERD_DIR/log" >&2; die "dockerd did not answer within 60 s"; }
{
    echo "FROM scratch"
    for ((i = 1; i <= LAYERS; i++)); do
        head -c "$((LAYER_MIB * 1000 * 1000))" /dev/urandom >"$WORK/image/layer$i.bin"
        echo "COPY layer$i.bin /layer$i.bin"
    done
} >"$WORK/image/Dockerfile"
log "docker build: FROM scratch + $LAYERS x COPY of $LAYER_MIB MB"
docker build -q -t bench5:1 "$WORK/image" >"$WORK/docker-build.log" 2>&1 ||
    { cat "$WORK/docker-build.log" >&2; die "docker build failed"; }
rm -f "$WORK"/image/layer*.bin
IMAGE_LAYERS="$(docker image inspect -f '{{len .RootFS.Layers}}' bench5:1)"
log "image bench5:1 built with $IMAGE_LAYERS layers"

# --- the registries ------------------------------------------------------------------------------
# Starts Stowage with an empty data directory $WORK/<$1, default stowage> and creates, on a port
# of its own, the docker hosted repository `bench`, or with $2 (a registry's URL) the docker proxy
# repository `bench-proxy` of that registry (a failure to create that one returns 1).
start_stowage() {
    local dir="$WORK/${1:-stowage}" remote="${2:-}" addr="" i code kind body
    mkdir -p "$dir"
    STOWAGE_DATA_DIR="$dir/data" STOWAGE_LISTEN=127.0.0.1:0 STOWAGE_ADMIN_PASSWORD="$PW" STOWAGE_LOG=info \
        "$BIN" >"$dir/log" 2>&1 </dev/null &
    server_pid=$!
    for ((i = 0; i < 300; i++)); do
        kill -0 "$server_pid" 2>/dev/null || break
        grep -q listening "$dir/log" && break
        sleep 0.1
    done
    addr="$(grep -o 'address=[0-9.:]*' "$dir/log" | head -1 | cut -d= -f2)"
    [[ -n "$addr" ]] || { cat "$dir/log" >&2; die "stowage did not start"; }
    local port2
    port2="$(free_port)"
    if [[ -n "$remote" ]]; then
        kind=proxy
        body="{\"name\":\"bench-proxy\",\"online\":true,\"storage\":{\"blobStoreName\":\"default\",\"strictContentTypeValidation\":true},\"proxy\":{\"remoteUrl\":\"$remote\",\"contentMaxAge\":1440,\"metadataMaxAge\":1440},\"negativeCache\":{\"enabled\":true,\"timeToLive\":1440},\"httpClient\":{\"blocked\":false,\"autoBlock\":true},\"docker\":{\"v1Enabled\":false,\"forceBasicAuth\":true,\"httpPort\":$port2}}"
    else
        kind=hosted
        body="{\"name\":\"bench\",\"online\":true,\"storage\":{\"blobStoreName\":\"default\",\"strictContentTypeValidation\":true,\"writePolicy\":\"ALLOW\"},\"docker\":{\"v1Enabled\":false,\"forceBasicAuth\":true,\"httpPort\":$port2}}"
    fi
    code="$(curl -sS -o "$dir/create.out" -w '%{http_code}' -u "admin:$PW" -H 'Content-Type: application/json' \
        -d "$body" "http://$addr/service/rest/v1/repositories/docker/$kind")" || code=000
    if [[ "$code" != 201 ]]; then
        cat "$dir/create.out" >&2
        [[ "$kind" == proxy ]] || die "creating the docker hosted repository: HTTP $code"
        log "creating the docker proxy repository: HTTP $code"
        return 1
    fi
    REG_HOST="127.0.0.1:$port2"
    BASE="http://$REG_HOST"
    UI_BASE="http://$addr" # the main listener: REST API and admin UI
    AUTH=(-u "admin:$PW")
    WRK_AUTH=(-H "Authorization: Basic $(printf 'admin:%s' "$PW" | base64 -w0)")
    SERVER_LOG="$dir/log"
    wait_v2 200
}

start_distribution() {
    local dir="$WORK/distribution" port3
    mkdir -p "$dir/storage"
    port3="$(free_port)"
    cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: info
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port3
  headers:
    X-Content-Type-Options: [nosniff]
EOF
    docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 </dev/null &
    server_pid=$!
    REG_HOST="127.0.0.1:$port3"
    BASE="http://$REG_HOST"
    AUTH=()
    WRK_AUTH=()
    SERVER_LOG="$dir/log"
    wait_v2 200
}

wait_v2() { # expected status of an authenticated GET /v2/
    local i code=000
    for ((i = 0; i < 300; i++)); do
        kill -0 "$server_pid" 2>/dev/null || { cat "$SERVER_LOG" >&2; die "server exited"; }
        code="$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" "$BASE/v2/" || true)"
        [[ "$code" == "$1" ]] && return 0
        sleep 0.1
    done
    die "GET $BASE/v2/ did not answer $1 (last: $code)"
}

stop_server() {
    stop_pid "$server_pid" 10
    server_pid=""
}

# The Location header of a response whose headers are in file $1, made absolute.
location() {
    local loc
    loc="$(awk 'tolower($1) == "location:" { sub(/\r$/, ""); $1 = ""; sub(/^ /, ""); print }' "$1" | tail -1)"
    [[ -n "$loc" ]] || return 1
    case "$loc" in
        http://* | https://*) printf '%s' "$loc" ;;
        /*) printf '%s%s' "$BASE" "$loc" ;;
        *) printf '%s/v2/bench/blobs/uploads/%s' "$BASE" "$loc" ;;
    esac
}
with_digest() { # url, digest
    if [[ "$1" == *\?* ]]; then printf '%s&digest=%s' "$1" "$2"; else printf '%s?digest=%s' "$1" "$2"; fi
}

# Docker-style upload of file $1 with digest $2 into image bench: POST, one streamed PATCH of the
# whole file (no Content-Range), PUT ?digest=. Sets POST_MS PATCH_MS PUT_MS.
push_blob() {
    local file="$1" digest="$2" h="$WORK/headers" code url t0 t1 t2 t3
    t0="$(now_ns)"
    code="$(curl -sS "${AUTH[@]}" -X POST -H 'Content-Length: 0' -D "$h" -o "$WORK/resp" -w '%{http_code}' \
        "$BASE/v2/bench/blobs/uploads/")" || return 1
    [[ "$code" == 202 ]] || { log "POST upload: HTTP $code $(head -c 300 "$WORK/resp")"; return 1; }
    url="$(location "$h")" || { log "POST upload: no Location"; return 1; }
    t1="$(now_ns)"
    code="$(curl -sS "${AUTH[@]}" -X PATCH -T "$file" -H 'Content-Type: application/octet-stream' -H 'Expect:' \
        -D "$h" -o "$WORK/resp" -w '%{http_code}' "$url")" || return 1
    [[ "$code" == 202 ]] || { log "PATCH: HTTP $code $(head -c 300 "$WORK/resp")"; return 1; }
    url="$(location "$h")" || { log "PATCH: no Location"; return 1; }
    t2="$(now_ns)"
    code="$(curl -sS "${AUTH[@]}" -X PUT -H 'Content-Length: 0' -D "$h" -o "$WORK/resp" -w '%{http_code}' \
        "$(with_digest "$url" "$digest")")" || return 1
    [[ "$code" == 201 ]] || { log "PUT ?digest: HTTP $code $(head -c 300 "$WORK/resp")"; return 1; }
    t3="$(now_ns)"
    POST_MS="$(ms_between "$t0" "$t1")"
    PATCH_MS="$(ms_between "$t1" "$t2")"
    PUT_MS="$(ms_between "$t2" "$t3")"
}

# Small blob: POST, then PUT ?digest= with the body.
push_small_blob() {
    local file="$1" digest="$2" h="$WORK/headers" code url
    code="$(curl -sS "${AUTH[@]}" -X POST -H 'Content-Length: 0' -D "$h" -o "$WORK/resp" -w '%{http_code}' \
        "$BASE/v2/bench/blobs/uploads/")" || return 1
    [[ "$code" == 202 ]] || { log "POST upload: HTTP $code"; return 1; }
    url="$(location "$h")" || return 1
    code="$(curl -sS "${AUTH[@]}" -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$file" \
        -D "$h" -o "$WORK/resp" -w '%{http_code}' "$(with_digest "$url" "$digest")")" || return 1
    [[ "$code" == 201 ]] || { log "PUT small blob: HTTP $code $(head -c 300 "$WORK/resp")"; return 1; }
}

# --- the admin UI's tag page (Stowage only) ------------------------------------------------------
# PUTs the manifest of bench:latest as tags t00001…t<UI_TAGS> of image bench, from one python3
# process over one kept-alive connection (HTTP Basic), not one curl per tag. Prints
# "<ms> <reconnects>".
put_tags() {
    BENCH_PW="$PW" python3 - "$REG_HOST" "$MANIFEST" "$OCI_MANIFEST" "$UI_TAGS" <<'PY'
import base64, http.client, os, sys, time

host, port = sys.argv[1].rsplit(":", 1)
body = open(sys.argv[2], "rb").read()
count = int(sys.argv[4])
basic = base64.b64encode(("admin:" + os.environ["BENCH_PW"]).encode()).decode()
headers = {"Authorization": "Basic " + basic, "Content-Type": sys.argv[3]}
conn, reconnects = None, -1
t0 = time.monotonic()
for i in range(1, count + 1):
    tag = "t%05d" % i
    for attempt in range(3):  # a dropped keep-alive connection is reopened; the PUT is idempotent
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host, int(port), timeout=60)
                reconnects += 1
            conn.request("PUT", "/v2/bench/manifests/" + tag, body, headers)
            resp = conn.getresponse()
            answer = resp.read()
            break
        except (OSError, http.client.HTTPException) as e:
            if conn is not None:
                conn.close()
            conn = None
            if attempt == 2:
                sys.exit("PUT %s: %s" % (tag, e))
    if resp.status != 201:
        sys.exit("PUT %s: HTTP %d %s" % (tag, resp.status, answer[:300]))
    if resp.will_close:
        conn.close()
        conn = None
print("%d %d" % (round((time.monotonic() - t0) * 1000), reconnects))
PY
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# PULLS timed GETs of the blob from the registry at $1 to /dev/null; the other arguments are
# extra curl options (credentials). Sets PULL_MEDIAN and PULL_RUNS (ms), or returns 1 at the
# first answer that is not 200 with every byte, with PULL_BAD set to it (status, bytes).
time_pulls() {
    local url="$1/v2/bench/blobs/$BLOB_DIGEST" t0 t1 out i runs=()
    shift
    for ((i = 0; i < PULLS; i++)); do
        t0="$(now_ns)"
        out="$(curl -sS "$@" -o /dev/null -w '%{http_code} %{size_download}' "$url")" || out="000 0"
        t1="$(now_ns)"
        if [[ "$out" != "200 $BLOB_BYTES" ]]; then
            PULL_BAD="$out"
            return 1
        fi
        runs+=("$(ms_between "$t0" "$t1")")
    done
    PULL_MEDIAN="$(printf '%s\n' "${runs[@]}" | median)"
    PULL_RUNS="$(printf '%s ms, ' "${runs[@]}" | sed 's/, $//')"
}

# GET of the admin-UI page $1 (a path on the main listener) with the session cookie, once to
# warm up and then UI_GETS times; every answer must be 200 and list tag $2. Sets UI_MEDIAN (ms to
# the first byte, curl's time_starttransfer), UI_RUNS and UI_ROWS (tags on the page).
ui_page_ms() {
    local path="$1" want="$2" i out runs=()
    for ((i = 0; i <= UI_GETS; i++)); do
        out="$(curl -sS -b "$WORK/ui-cookies" -o "$WORK/ui-page.html" -w '%{http_code} %{time_starttransfer}' \
            "$UI_BASE$path")" || out="000 0"
        if [[ "${out%% *}" != 200 ]] || ! grep -qF ">$want</a>" "$WORK/ui-page.html"; then
            log "GET $path: HTTP ${out%% *}, tag $want $(grep -qF ">$want</a>" "$WORK/ui-page.html" && echo listed || echo 'not listed')"
            return 1
        fi
        ((i == 0)) || runs+=("$(awk -v s="${out#* }" 'BEGIN { printf "%.1f", s * 1000 }')")
    done
    UI_MEDIAN="$(printf '%s\n' "${runs[@]}" | median)"
    UI_RUNS="$(printf '%s ms, ' "${runs[@]}" | sed 's/, $//')"
    UI_ROWS="$(grep -o 'href="/ui/components/' "$WORK/ui-page.html" | wc -l)"
}

# UI_TAGS more tags of image bench (which has `latest` already), then the tag page's server time.
# Sets R[stowage.ui_*].
bench_ui_tags() {
    local s=stowage out code token last_after jar="$WORK/ui-cookies"
    R[$s.ui_first]="not run"
    if [[ "${R[$s.manifest_stored]:-}" != yes ]]; then
        NOTES+=("$s: bench:latest was not stored; the UI tag page was not measured")
        return 0
    fi
    log "$s: PUT of $UI_TAGS tags t00001… of image bench (one python3 process, keep-alive)"
    if ! out="$(put_tags)"; then
        R[$s.ui_first]=failed
        NOTES+=("$s: creating the $UI_TAGS tags failed (see the run's output)")
        return 0
    fi
    R[$s.ui_put_s]="$(awk -v ms="${out% *}" 'BEGIN { printf "%.1f", ms / 1000 }')"
    R[$s.ui_put_rate]="$(awk -v ms="${out% *}" -v n="$UI_TAGS" 'BEGIN { if (ms > 0) printf "%.0f", n / (ms / 1000); else print "n/a" }')"
    R[$s.ui_put_reconnects]="${out#* }"
    log "$s: $UI_TAGS tags in ${R[$s.ui_put_s]} s (${R[$s.ui_put_rate]} PUT/s, ${R[$s.ui_put_reconnects]} reconnections)"

    # Sign in as the browser does: the form's double-submit token (cookie + hidden field), then a
    # POST that answers 303 with the session cookie. STOWAGE_ADMIN_PASSWORD is set, so the server
    # writes no admin.password and sends admin to /ui/ rather than to the first-run /ui/setup;
    # either way the tag page does not depend on the set-up being done.
    rm -f "$jar"
    code="$(curl -sS -c "$jar" -o "$WORK/ui-signin.html" -w '%{http_code}' "$UI_BASE/ui/signin")" || code=000
    token="$(grep -o 'name="token" value="[^"]*"' "$WORK/ui-signin.html" 2>/dev/null | head -1 | sed 's/.*value="//; s/"$//' || true)"
    if [[ "$code" != 200 || -z "$token" ]]; then
        R[$s.ui_first]=failed
        NOTES+=("$s: GET /ui/signin answered HTTP $code (token '${token}'); the UI tag page was not measured")
        return 0
    fi
    out="$(curl -sS -b "$jar" -c "$jar" -o "$WORK/ui-signin.html" -w '%{http_code} %{redirect_url}' \
        --data-urlencode username=admin --data-urlencode "password=$PW" --data-urlencode "token=$token" \
        --data-urlencode next=/ui/ "$UI_BASE/ui/signin")" || out="000"
    if [[ "${out%% *}" != 303 ]] || ! grep -q stowage_session "$jar"; then
        R[$s.ui_first]=failed
        NOTES+=("$s: POST /ui/signin answered '$out' without a session cookie; the UI tag page was not measured")
        return 0
    fi
    [[ "$out" == */ui/setup ]] && log "$s: signed in, sent to /ui/setup (admin.password exists); measuring anyway"
    log "$s: signed in to the UI ($out)"

    # The tag page lists 100 tags a page (TAGS_PER_PAGE in crates/server/src/ui/browse.rs).
    if ui_page_ms "/ui/browse/bench/bench/" t00001; then
        R[$s.ui_first]="$UI_MEDIAN"
        R[$s.ui_first_runs]="$UI_RUNS"
        R[$s.ui_rows]="$UI_ROWS"
    else
        R[$s.ui_first]=failed
        NOTES+=("$s: GET /ui/browse/bench/bench/ did not answer 200 with tag t00001")
        return 0
    fi
    log "$s: UI tag page, first page: median ${R[$s.ui_first]} ms ($UI_RUNS), $UI_ROWS tags listed"
    last_after=$((((UI_TAGS - 1) / 100) * 100))
    if ((last_after > 0)); then
        last_after="$(printf 't%05d' "$last_after")"
        if ui_page_ms "/ui/browse/bench/bench/?after=$last_after" "$(printf 't%05d' "$UI_TAGS")"; then
            R[$s.ui_last]="$UI_MEDIAN"
            R[$s.ui_last_runs]="$UI_RUNS"
            R[$s.ui_last_after]="$last_after"
            R[$s.ui_rows]+=" and $UI_ROWS"
            log "$s: UI tag page after $last_after: median ${R[$s.ui_last]} ms ($UI_RUNS), $UI_ROWS tags listed"
        else
            R[$s.ui_last]=failed
            NOTES+=("$s: GET /ui/browse/bench/bench/?after=$last_after did not answer 200 with tag $(printf 't%05d' "$UI_TAGS")")
        fi
    fi
}

declare -A R # results: R[<registry>.<metric>]
NOTES=()

bench_registry() { # name
    local name="$1" t0 t1 code out c0 c1 got
    log "== $name: starting fresh"
    sync
    if [[ "$name" == stowage ]]; then start_stowage; else start_distribution; fi
    log "$name: serving the Distribution API at $BASE/v2/ (pid $server_pid)"

    # 1 GiB push
    c0="$(cpu_ticks "$server_pid")"
    t0="$(now_ns)"
    if push_blob "$BLOB" "$BLOB_DIGEST"; then
        t1="$(now_ns)"
        R[$name.push_ms]="$(ms_between "$t0" "$t1")"
        R[$name.push_mbps]="$(mbps "$BLOB_BYTES" "${R[$name.push_ms]}")"
        R[$name.push_split]="POST ${POST_MS} ms, PATCH ${PATCH_MS} ms, PUT ${PUT_MS} ms"
    else
        R[$name.push_ms]=failed
        R[$name.push_mbps]=failed
        NOTES+=("$name: the ${BLOB_MIB} MiB blob push failed (see the run's output)")
    fi
    c1="$(cpu_ticks "$server_pid")"
    R[$name.push_cpu]="$(awk -v t=$((c1 - c0)) -v h="$CLK_TCK" 'BEGIN { printf "%.1f", t / h }')"
    R[$name.push_rss]="$(hwm_kib "$server_pid")"
    log "$name: push ${R[$name.push_ms]} ms (${R[$name.push_mbps]} MB/s; ${R[$name.push_split]:-}), server CPU ${R[$name.push_cpu]} s, VmHWM ${R[$name.push_rss]} KiB"

    # 1 GiB pull: PULLS timed GETs to /dev/null (the median counts: one GET of a cached file
    # takes about a second and varies a lot on this kind of machine), then one verified copy
    if [[ "${R[$name.push_ms]}" != failed ]]; then
        c0="$(cpu_ticks "$server_pid")"
        if time_pulls "$BASE" "${AUTH[@]}"; then
            R[$name.pull_ms]="$PULL_MEDIAN"
            R[$name.pull_mbps]="$(mbps "$BLOB_BYTES" "$PULL_MEDIAN")"
            R[$name.pull_runs]="$PULL_RUNS"
        else
            NOTES+=("$name: a blob pull answered '$PULL_BAD' (status, bytes)")
            R[$name.pull_ms]=failed
            R[$name.pull_mbps]=failed
        fi
        c1="$(cpu_ticks "$server_pid")"
        R[$name.pull_cpu]="$(awk -v t=$((c1 - c0)) -v h="$CLK_TCK" -v n="$PULLS" 'BEGIN { printf "%.1f", t / h / n }')"
        got="$(curl -sS "${AUTH[@]}" "$BASE/v2/bench/blobs/$BLOB_DIGEST" | sha256sum | cut -d' ' -f1)"
        if [[ "$got" == "$BLOB_HEX" ]]; then
            R[$name.pull_verified]=yes
        else
            R[$name.pull_verified]="NO (got $got)"
            NOTES+=("$name: the downloaded blob's sha256 is $got, not $BLOB_HEX")
        fi
        log "$name: pull median ${R[$name.pull_ms]} ms (${R[$name.pull_mbps]} MB/s; ${R[$name.pull_runs]:-}), server CPU per pull ${R[$name.pull_cpu]} s, sha256 ok: ${R[$name.pull_verified]}"
    else
        R[$name.pull_ms]="not run"
        R[$name.pull_mbps]="not run"
    fi

    # manifest bench:latest, then wrk on GET
    R[$name.wrk_rps]="not run"
    R[$name.wrk_p99]="not run"
    if [[ "${R[$name.push_ms]}" != failed ]] && push_small_blob "$CONFIG" "$CONFIG_DIGEST"; then
        code="$(curl -sS "${AUTH[@]}" -X PUT -H "Content-Type: $OCI_MANIFEST" --data-binary "@$MANIFEST" \
            -o "$WORK/resp" -w '%{http_code}' "$BASE/v2/bench/manifests/latest")" || code=000
        got="$(curl -sS "${AUTH[@]}" -H "Accept: $OCI_MANIFEST" "$BASE/v2/bench/manifests/latest" | sha256sum | cut -d' ' -f1)"
        if [[ "$code" == 201 && "$got" == "$MANIFEST_HEX" ]]; then
            R[$name.manifest_stored]=yes
            log "$name: wrk -t$WRK_THREADS -c$WRK_CONNS -d$WRK_DURATION GET /v2/bench/manifests/latest"
            wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"$WRK_DURATION" --latency \
                -H "Accept: $OCI_MANIFEST" "${WRK_AUTH[@]}" "$BASE/v2/bench/manifests/latest" >"$WORK/wrk-$name.txt" 2>&1 || true
            cat "$WORK/wrk-$name.txt" >&2
            R[$name.wrk_rps]="$(awk '/^Requests\/sec:/ {printf "%.1f", $2}' "$WORK/wrk-$name.txt")"
            R[$name.wrk_p99]="$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) x = v / 1000; else if (v ~ /ms$/) x = v + 0; else if (v ~ /s$/) x = v * 1000; printf "%.2f", x}' "$WORK/wrk-$name.txt")"
            R[$name.wrk_errors]="$(awk '/Non-2xx or 3xx responses:/ {print $NF} /Socket errors:/ {sub(/^ +/, ""); print}' "$WORK/wrk-$name.txt" | paste -sd' ')"
            [[ -n "${R[$name.wrk_rps]}" ]] || R[$name.wrk_rps]=failed
            [[ -n "${R[$name.wrk_p99]}" ]] || R[$name.wrk_p99]=failed
            if [[ -n "${R[$name.wrk_errors]}" ]]; then
                NOTES+=("$name: wrk reported errors: ${R[$name.wrk_errors]}")
            fi
        else
            NOTES+=("$name: manifest PUT answered HTTP $code (GET body sha256 $got); wrk not run")
        fi
    else
        NOTES+=("$name: the config blob upload failed; manifest and wrk not run")
    fi

    # docker push of the 5-layer image
    docker tag bench5:1 "$REG_HOST/bench5:1"
    if [[ "$name" == stowage ]]; then
        printf '%s' "$PW" | docker login "$REG_HOST" -u admin --password-stdin >"$WORK/login-$name.log" 2>&1 ||
            { cat "$WORK/login-$name.log" >&2; NOTES+=("$name: docker login failed"); }
    fi
    log "$name: docker push $REG_HOST/bench5:1"
    c0="$(cpu_ticks "$server_pid")"
    t0="$(now_ns)"
    if docker push "$REG_HOST/bench5:1" >"$WORK/push-$name.log" 2>&1; then
        t1="$(now_ns)"
        R[$name.docker_ms]="$(ms_between "$t0" "$t1")"
        R[$name.docker_s]="$(awk -v ms="${R[$name.docker_ms]}" 'BEGIN { printf "%.1f", ms / 1000 }')"
        R[$name.docker_pushed]="$(grep -c ': Pushed' "$WORK/push-$name.log" || true)"
    else
        R[$name.docker_ms]=failed
        R[$name.docker_s]=failed
        R[$name.docker_pushed]=0
        NOTES+=("$name: docker push failed: $(tail -3 "$WORK/push-$name.log" | tr '\n' ' ')")
    fi
    c1="$(cpu_ticks "$server_pid")"
    R[$name.docker_cpu]="$(awk -v t=$((c1 - c0)) -v h="$CLK_TCK" 'BEGIN { printf "%.1f", t / h }')"
    cat "$WORK/push-$name.log" >&2
    log "$name: docker push ${R[$name.docker_s]} s (${R[$name.docker_pushed]} layers reported Pushed), server CPU ${R[$name.docker_cpu]} s"
    docker rmi "$REG_HOST/bench5:1" >/dev/null 2>&1 || true

    # the admin UI's tag page of an image with UI_TAGS tags (distribution has no UI)
    if [[ "$name" == stowage ]]; then
        bench_ui_tags
    fi

    R[$name.run_rss]="$(hwm_kib "$server_pid")"
}

# --- the proxy phase -----------------------------------------------------------------------------
# distribution (the upstream, upstream_pid at $1) still holds the blob it was sent; a fresh Stowage
# gets a docker proxy repository of it. First PULLS direct pulls from distribution (the cold pull's
# reference, measured in this phase), then one cold pull through the proxy (the blob is fetched
# upstream while it is streamed), then, once the proxy has stored its copy, PULLS warm pulls and
# one verified copy. Sets R[proxy.*].
bench_proxy() {
    local p=proxy up="$1" t0 t1 c0 c1 u0 u1 m0 m1 out got i
    R[$p.direct_ms]="not run" R[$p.direct_mbps]="not run"
    R[$p.cold_ms]="not run" R[$p.cold_mbps]="not run" R[$p.warm_ms]="not run" R[$p.warm_mbps]="not run"
    if [[ "${R[distribution.push_ms]}" == failed ]]; then
        NOTES+=("proxy: distribution has no blob (its push failed); the proxy was not measured")
        return 0
    fi
    log "== proxy: $PULLS direct pulls from distribution at $up (the cold pull's reference)"
    m0="$(machine_ticks)"
    if time_pulls "$up"; then
        m1="$(machine_ticks)"
        R[$p.direct_machine_cpu]="$(ticks_s $((m1 - m0)) "$PULLS")"
        R[$p.direct_ms]="$PULL_MEDIAN"
        R[$p.direct_mbps]="$(mbps "$BLOB_BYTES" "$PULL_MEDIAN")"
        R[$p.direct_runs]="$PULL_RUNS"
        log "proxy: direct pull median ${R[$p.direct_ms]} ms (${R[$p.direct_mbps]} MB/s; ${R[$p.direct_runs]})"
    else
        NOTES+=("proxy: a direct pull from distribution answered '$PULL_BAD' (status, bytes)")
        R[$p.direct_ms]=failed
        R[$p.direct_mbps]=failed
    fi

    log "== proxy: starting a fresh Stowage with a docker proxy repository of $up"
    sync
    if ! start_stowage stowage-proxy "$up"; then
        NOTES+=("proxy: creating the docker proxy repository failed (see the run's output); the proxy was not measured")
        return 0
    fi
    log "proxy: serving the Distribution API at $BASE/v2/ (pid $server_pid)"

    # cold: nothing cached, the proxy fetches the blob while it streams it
    c0="$(cpu_ticks "$server_pid")"
    u0="$(cpu_ticks "$upstream_pid")"
    m0="$(machine_ticks)"
    t0="$(now_ns)"
    out="$(curl -sS "${AUTH[@]}" -o /dev/null -w '%{http_code} %{size_download}' "$BASE/v2/bench/blobs/$BLOB_DIGEST")" || out="000 0"
    t1="$(now_ns)"
    m1="$(machine_ticks)"
    c1="$(cpu_ticks "$server_pid")"
    u1="$(cpu_ticks "$upstream_pid")"
    R[$p.cold_machine_cpu]="$(ticks_s $((m1 - m0)))"
    R[$p.cold_cpu]="$(awk -v t=$((c1 - c0)) -v h="$CLK_TCK" 'BEGIN { printf "%.1f", t / h }')"
    R[$p.cold_up_cpu]="$(awk -v t=$((u1 - u0)) -v h="$CLK_TCK" 'BEGIN { printf "%.1f", t / h }')"
    R[$p.cold_rss]="$(hwm_kib "$server_pid")"
    if [[ "$out" != "200 $BLOB_BYTES" ]]; then
        R[$p.cold_ms]=failed R[$p.cold_mbps]=failed
        NOTES+=("proxy: the cold pull through the proxy answered '$out' (status, bytes); warm pulls not run")
        return 0
    fi
    R[$p.cold_ms]="$(ms_between "$t0" "$t1")"
    R[$p.cold_mbps]="$(mbps "$BLOB_BYTES" "${R[$p.cold_ms]}")"
    log "proxy: cold pull ${R[$p.cold_ms]} ms (${R[$p.cold_mbps]} MB/s), server CPU ${R[$p.cold_cpu]} s, distribution CPU ${R[$p.cold_up_cpu]} s, VmHWM ${R[$p.cold_rss]} KiB"

    # The response ends once the download is verified; the copy goes into the blob store after
    # that. Wait (at most 120 s) for it, so that the warm pulls read the cache.
    for ((i = 0; i < 1200; i++)); do
        grep -q -e "cached blob from upstream.*$BLOB_DIGEST" -e 'served but could not be cached' "$SERVER_LOG" && break
        sleep 0.1
    done
    if ! grep -q "cached blob from upstream.*$BLOB_DIGEST" "$SERVER_LOG"; then
        R[$p.stored_after]="not stored"
        NOTES+=("proxy: the proxy did not log storing the blob within 120 s of the cold pull; warm pulls not run")
        return 0
    fi
    R[$p.stored_after]="$(ms_between "$t1" "$(now_ns)")"
    log "proxy: the blob was stored in the proxy's blob store ≤ ${R[$p.stored_after]} ms after the cold pull ended"

    # warm: PULLS GETs of the cached blob, then one verified copy
    c0="$(cpu_ticks "$server_pid")"
    if time_pulls "$BASE" "${AUTH[@]}"; then
        c1="$(cpu_ticks "$server_pid")"
        R[$p.warm_ms]="$PULL_MEDIAN"
        R[$p.warm_mbps]="$(mbps "$BLOB_BYTES" "$PULL_MEDIAN")"
        R[$p.warm_runs]="$PULL_RUNS"
    else
        c1="$(cpu_ticks "$server_pid")"
        NOTES+=("proxy: a warm pull through the proxy answered '$PULL_BAD' (status, bytes)")
        R[$p.warm_ms]=failed R[$p.warm_mbps]=failed
    fi
    R[$p.warm_cpu]="$(awk -v t=$((c1 - c0)) -v h="$CLK_TCK" -v n="$PULLS" 'BEGIN { printf "%.1f", t / h / n }')"
    got="$(curl -sS "${AUTH[@]}" "$BASE/v2/bench/blobs/$BLOB_DIGEST" | sha256sum | cut -d' ' -f1)"
    if [[ "$got" == "$BLOB_HEX" ]]; then
        R[$p.verified]=yes
    else
        R[$p.verified]="NO (got $got)"
        NOTES+=("proxy: the blob downloaded through the proxy has sha256 $got, not $BLOB_HEX")
    fi
    # distribution's access log: how many times the proxy fetched the blob (1 expected)
    R[$p.upstream_gets]="$(grep -F "\"GET /v2/bench/blobs/$BLOB_DIGEST " "$WORK/distribution/log" | grep -c '"Stowage/' || true)"
    log "proxy: warm pull median ${R[$p.warm_ms]} ms (${R[$p.warm_mbps]} MB/s; ${R[$p.warm_runs]:-}), server CPU per pull ${R[$p.warm_cpu]} s, sha256 ok: ${R[$p.verified]}, upstream GETs of the blob: ${R[$p.upstream_gets]}"
}

bench_registry stowage
stop_server
bench_registry distribution
# distribution stays up, holding the blob: the upstream of the proxy phase
upstream_pid="$server_pid" server_pid=""
bench_proxy "$BASE"
stop_server
stop_pid "$upstream_pid" 10
upstream_pid=""

log "dd again, after the registries"
DD2_MBPS="$(dd_mbps)"
DD2_LINE="$(cat "$WORK/dd.line")"
log "dd (after): $DD2_MBPS MB/s"
DD_MBPS="$(awk -v a="$DD1_MBPS" -v b="$DD2_MBPS" 'BEGIN { print (a > b ? a : b) }')"

# --- 4. the table --------------------------------------------------------------------------------
is_num() { [[ "$1" =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
ratio() { # stowage distribution
    if is_num "$1" && is_num "$2" && awk -v d="$2" 'BEGIN { exit !(d > 0) }'; then
        awk -v s="$1" -v d="$2" 'BEGIN { printf "%.2f×", s / d }'
    else
        echo "n/a"
    fi
}
num_cmp() { awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN { if (op == ">=") exit !(a >= b); else exit !(a <= b) }'; }
mark() { if "$@"; then echo "**met**"; else echo "**missed**"; fi; }
mib() { is_num "$1" && awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }' || echo "$1"; }

s=stowage d=distribution
push_floor="$(awk -v m="$DD_MBPS" 'BEGIN { printf "%.1f", 0.9 * m }')"
if is_num "${R[$s.push_mbps]}" && is_num "${R[$d.push_mbps]}"; then
    push_ok() { num_cmp "${R[$s.push_mbps]}" ">=" "$push_floor" && num_cmp "${R[$s.push_mbps]}" ">=" "${R[$d.push_mbps]}"; }
    push_mark="$(mark push_ok)"
    push_detail="($(num_cmp "${R[$s.push_mbps]}" ">=" "$push_floor" && echo "≥" || echo "<") 0.9 × dd, $(num_cmp "${R[$s.push_mbps]}" ">=" "${R[$d.push_mbps]}" && echo "≥" || echo "<") distribution)"
else
    push_mark="**not measured**" push_detail=""
fi
if is_num "${R[$s.pull_mbps]}" && is_num "${R[$d.pull_mbps]}"; then
    pull_need="$(awk -v d="${R[$d.pull_mbps]}" 'BEGIN { printf "%.1f", 1.5 * d }')"
    pull_mark="$(mark num_cmp "${R[$s.pull_mbps]}" ">=" "$pull_need")"
else
    pull_need="?" pull_mark="**not measured**"
fi
if is_num "${R[$s.wrk_rps]}" && is_num "${R[$d.wrk_rps]}"; then
    rps_need="$(awk -v d="${R[$d.wrk_rps]}" 'BEGIN { printf "%.1f", 5 * d }')"
    rps_mark="$(mark num_cmp "${R[$s.wrk_rps]}" ">=" "$rps_need")"
else
    rps_need="?" rps_mark="**not measured**"
fi
if is_num "${R[$s.docker_s]}" && is_num "${R[$d.docker_s]}"; then
    docker_mark="$(mark num_cmp "${R[$s.docker_ms]}" "<=" "${R[$d.docker_ms]}")"
else
    docker_mark="**not measured**"
fi
s_push_rss="$(mib "${R[$s.push_rss]}")"
d_push_rss="$(mib "${R[$d.push_rss]}")"
if is_num "$s_push_rss"; then rss_mark="$(mark num_cmp "$s_push_rss" "<=" "$RSS_LIMIT_MIB")"; else rss_mark="**not measured**"; fi
# UI tag page: the first page's median, and the last page's in brackets; both must be < the limit.
UI_TAGS_L="$UI_TAGS"
[[ "$UI_TAGS" == 10000 ]] && UI_TAGS_L="10,000"
ui_cell="${R[$s.ui_first]:-not run}"
[[ -n "${R[$s.ui_last]:-}" ]] && ui_cell+=" (page after ${R[$s.ui_last_after]:-the last full 100}: ${R[$s.ui_last]})"
if is_num "${R[$s.ui_first]:-}"; then
    ui_ok() {
        awk -v a="${R[$s.ui_first]}" -v m="$UI_LIMIT_MS" 'BEGIN { exit !(a < m) }' &&
            { [[ -z "${R[$s.ui_last]:-}" ]] || { is_num "${R[$s.ui_last]}" &&
                awk -v a="${R[$s.ui_last]}" -v m="$UI_LIMIT_MS" 'BEGIN { exit !(a < m) }'; }; }
    }
    ui_mark="$(mark ui_ok)"
else
    ui_mark="**not measured**"
fi

# the proxy rows: cold against the direct pull from distribution (time), warm against Stowage's
# hosted pull (throughput)
p=proxy
if is_num "${R[$p.cold_ms]}" && is_num "${R[$p.direct_ms]}"; then
    cold_limit="$(awk -v d="${R[$p.direct_ms]}" 'BEGIN { printf "%.1f", 1.2 * d }')"
    cold_mark="$(mark num_cmp "${R[$p.cold_ms]}" "<=" "$cold_limit")"
else
    cold_limit="?" cold_mark="**not measured**"
fi
if is_num "${R[$p.warm_mbps]}" && is_num "${R[$s.pull_mbps]}"; then
    warm_need="$(awk -v h="${R[$s.pull_mbps]}" 'BEGIN { printf "%.1f", 0.9 * h }')"
    warm_mark="$(mark num_cmp "${R[$p.warm_mbps]}" ">=" "$warm_need")"
else
    warm_need="?" warm_mark="**not measured**"
fi
with_mbps() { if is_num "$1"; then echo "$1 ($2 MB/s)"; else echo "$1"; fi; }
with_ms() { if is_num "$1"; then echo "$1 ($2 ms)"; else echo "$1"; fi; }

BL="${BLOB_MIB} MiB"
[[ "$BLOB_MIB" == 1024 ]] && BL="1 GiB"
TABLE="| metric | stowage | distribution | ratio (stowage/distribution) | target |
| --- | ---: | ---: | --- | --- |
| $BL blob push, MB/s | ${R[$s.push_mbps]} | ${R[$d.push_mbps]} | $(ratio "${R[$s.push_mbps]}" "${R[$d.push_mbps]}") (higher is better) | ≥ 0.9 × dd = $push_floor MB/s and ≥ distribution: $push_mark $push_detail |
| $BL blob push, ms | ${R[$s.push_ms]} | ${R[$d.push_ms]} | $(ratio "${R[$s.push_ms]}" "${R[$d.push_ms]}") (lower is better) | (same target as the row above) |
| $BL blob pull, MB/s | ${R[$s.pull_mbps]} | ${R[$d.pull_mbps]} | $(ratio "${R[$s.pull_mbps]}" "${R[$d.pull_mbps]}") (higher is better) | ≥ 1.5 × distribution = $pull_need MB/s: $pull_mark |
| $BL blob pull, ms | ${R[$s.pull_ms]} | ${R[$d.pull_ms]} | $(ratio "${R[$s.pull_ms]}" "${R[$d.pull_ms]}") (lower is better) | (same target as the row above) |
| manifest GET, req/s | ${R[$s.wrk_rps]} | ${R[$d.wrk_rps]} | $(ratio "${R[$s.wrk_rps]}" "${R[$d.wrk_rps]}") (higher is better) | ≥ 5 × distribution = $rps_need req/s: $rps_mark |
| manifest GET, p99 latency ms | ${R[$s.wrk_p99]} | ${R[$d.wrk_p99]} | $(ratio "${R[$s.wrk_p99]}" "${R[$d.wrk_p99]}") (lower is better) | — |
| \`docker push\` ${LAYERS}×${LAYER_MIB} MB image, wall s | ${R[$s.docker_s]} | ${R[$d.docker_s]} | $(ratio "${R[$s.docker_s]}" "${R[$d.docker_s]}") (lower is better) | ≤ distribution: $docker_mark |
| peak server RSS after the $BL push, MiB | $s_push_rss | $d_push_rss | $(ratio "$s_push_rss" "$d_push_rss") (lower is better) | ≤ $RSS_LIMIT_MIB MiB: $rss_mark |
| peak server RSS over its whole run, MiB | $(mib "${R[$s.run_rss]}") | $(mib "${R[$d.run_rss]}") | $(ratio "$(mib "${R[$s.run_rss]}")" "$(mib "${R[$d.run_rss]}")") (lower is better) | — |
| UI tag page of an image with $UI_TAGS_L tags, ms | $ui_cell | — (no UI) | — | < $UI_LIMIT_MS ms: $ui_mark |
| $BL cold pull through a Stowage docker proxy of distribution vs a direct pull from distribution, ms (MB/s) | proxy: $(with_mbps "${R[$p.cold_ms]}" "${R[$p.cold_mbps]}") | direct: $(with_mbps "${R[$p.direct_ms]}" "${R[$p.direct_mbps]}") | $(ratio "${R[$p.cold_ms]}" "${R[$p.direct_ms]}") proxy/direct (lower is better) | ≤ 1.2 × direct = $cold_limit ms: $cold_mark |
| $BL warm pull through that proxy (cached) vs Stowage's hosted pull, MB/s (ms) | proxy: $(with_ms "${R[$p.warm_mbps]}" "${R[$p.warm_ms]}"); hosted: $(with_ms "${R[$s.pull_mbps]}" "${R[$s.pull_ms]}") | — | $(ratio "${R[$p.warm_mbps]}" "${R[$s.pull_mbps]}") proxy/hosted (higher is better) | ≥ 0.9 × hosted = $warm_need MB/s: $warm_mark |"

DETAILS="| detail | stowage | distribution |
| --- | --- | --- |
| $BL push split | ${R[$s.push_split]:-n/a} | ${R[$d.push_split]:-n/a} |
| server CPU time during the $BL push, s | ${R[$s.push_cpu]} | ${R[$d.push_cpu]} |
| $BL pulls (the median is in the table) | ${R[$s.pull_runs]:-n/a} | ${R[$d.pull_runs]:-n/a} |
| server CPU time per $BL pull, s | ${R[$s.pull_cpu]:-n/a} | ${R[$d.pull_cpu]:-n/a} |
| server CPU time during \`docker push\`, s | ${R[$s.docker_cpu]} | ${R[$d.docker_cpu]} |
| downloaded blob's sha256 matches | ${R[$s.pull_verified]:-n/a} | ${R[$d.pull_verified]:-n/a} |
| layers \`docker push\` reported as Pushed | ${R[$s.docker_pushed]} of $IMAGE_LAYERS | ${R[$d.docker_pushed]} of $IMAGE_LAYERS |
| wrk non-2xx responses / socket errors | ${R[$s.wrk_errors]:-none} | ${R[$d.wrk_errors]:-none} |
| $UI_TAGS_L tag PUTs over one connection, s | ${R[$s.ui_put_s]:-n/a} (${R[$s.ui_put_rate]:-n/a} PUT/s, ${R[$s.ui_put_reconnects]:-n/a} reconnections) | — |
| UI tag page GETs, ms to the first byte (the medians are in the table) | first page: ${R[$s.ui_first_runs]:-n/a}; page after ${R[$s.ui_last_after]:-?}: ${R[$s.ui_last_runs]:-n/a} | — |
| tags listed on those two pages | ${R[$s.ui_rows]:-n/a} | — |
| proxy phase: $BL direct pulls from distribution just before the cold pull (the median is the cold row's reference) | — | ${R[$p.direct_runs]:-n/a} |
| proxy phase: server CPU time during the cold pull, s (proxy; upstream) | ${R[$p.cold_cpu]:-n/a} | ${R[$p.cold_up_cpu]:-n/a} |
| proxy phase: CPU time of the whole machine ($CORES cores), s: during the cold pull; per direct pull | ${R[$p.cold_machine_cpu]:-n/a} | ${R[$p.direct_machine_cpu]:-n/a} |
| proxy phase: sha256 of the $BL blob on one core (\`openssl speed\`), s | ${SHA_S:-n/a} | — |
| proxy phase: peak server RSS of the fresh Stowage after the cold pull, MiB | $(mib "${R[$p.cold_rss]:-n/a}") | — |
| proxy phase: the proxy logged storing its copy, ms after the cold pull ended | ${R[$p.stored_after]:-n/a} | — |
| proxy phase: $BL warm pulls through the proxy (the median is in the table) | ${R[$p.warm_runs]:-n/a} | — |
| proxy phase: server CPU time per warm pull, s | ${R[$p.warm_cpu]:-n/a} | — |
| proxy phase: blob downloaded through the proxy, sha256 matches | ${R[$p.verified]:-n/a} | — |
| proxy phase: GETs of the blob distribution served to the proxy (1 expected) | — | ${R[$p.upstream_gets]:-n/a} |"

# --- machine facts and docs/benchmarks.md --------------------------------------------------------
if [[ -n "${STOWAGE_BIN_COMMIT:-}" ]]; then
    COMMIT="$STOWAGE_BIN_COMMIT" # the commit STOWAGE_BIN was built from, when it is not this tree
else
    COMMIT="$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"
    if [[ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
        COMMIT="$COMMIT (work tree had uncommitted changes)"
    fi
fi
CPU="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
MEM="$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
DIST_VER="$(docker-registry --version 2>/dev/null | awk '{print $NF}')"
DOCKERD_VER="$(dockerd --version | sed 's/^Docker version //')"
WRK_VER="$( (wrk -v 2>&1 || true) | head -1 | awk '{print $2}')"
FS="$(df -hT "$WORK" | awk 'NR == 2 {print $2 ", " $1}')"

NOTES_MD=""
if ((${#NOTES[@]})); then
    NOTES_MD=$'\n**Problems seen in this run:**\n\n'
    for n in "${NOTES[@]}"; do NOTES_MD+="- $n"$'\n'; done
fi

mkdir -p "$(dirname "$OUT")"
cat >"$OUT" <<EOF
# Benchmarks: Stowage's docker registry against CNCF distribution

Generated by \`bench/registry-bench.sh\` (run it as root from anywhere in the repository; it
installs \`docker-registry\`, \`wrk\`, \`curl\`, \`docker.io\` and \`python3\` with apt-get if
missing, builds \`target/release/stowage\` if missing, and takes a few minutes). In one run
it starts each registry fresh on 127.0.0.1 with an empty storage directory on the same disk:
Stowage's docker hosted repository \`bench\` on its own port with HTTP Basic auth
(\`forceBasicAuth\`, SQLite catalogue, \`default\` file blob store), and Debian's
\`docker-registry\` (CNCF distribution $DIST_VER) with filesystem storage and no auth. After
distribution's rows, distribution stays up and a third registry starts: a fresh Stowage (empty
data directory) with the docker proxy repository \`bench-proxy\` of distribution on its own port
(HTTP Basic auth, no credentials upstream). Each run of the script overwrites this file.

What each row measures:

- **blob push**: a $BL file of random data uploaded the way docker does it: \`POST
  /v2/bench/blobs/uploads/\`, one streamed \`PATCH\` of the whole file (\`curl -T\`, no
  \`Content-Range\`), then \`PUT <location>?digest=sha256:…\`; wall time of the three
  requests, MB/s = bytes / 10⁶ / s. The reference is this disk's durable write bandwidth,
  \`dd if=/dev/zero bs=1M count=1024 conv=fdatasync\` on the same file system, run before and
  after the registries ($DD1_MBPS and $DD2_MBPS MB/s in this run); the target uses the higher,
  **$DD_MBPS MB/s**.
- **blob pull**: \`GET /v2/bench/blobs/<digest>\` to /dev/null, $PULLS times; the table has the
  median (the file was just written, so it is likely in the page cache for both; one GET takes
  about a second and varies from one to the next); one more download's sha256 is checked.
- **manifest GET**: an OCI image manifest (config + the $BL layer) pushed as \`bench:latest\`,
  then \`wrk -t$WRK_THREADS -c$WRK_CONNS -d$WRK_DURATION --latency\` on
  \`GET /v2/bench/manifests/latest\` with \`Accept: $OCI_MANIFEST\`
  (plus the \`Authorization: Basic\` header for Stowage); requests per second and the 99th
  percentile latency. wrk runs on the same $(nproc) cores as the server.
- **\`docker push\`**: wall time of \`docker push\` of an image built \`FROM scratch\` with
  $LAYERS \`COPY\` layers of $LAYER_MIB MB of random data each, into a registry that has none
  of them (a dockerd of the script's own, vfs storage driver; \`docker login\` first for
  Stowage). The daemon gzips every layer while it pushes, so this includes client-side CPU work.
- **peak server RSS**: \`VmHWM\` of the server process from /proc, read right after the blob
  push (the server was started just before it) and again at the end of that server's run.
- **UI tag page** (Stowage only: distribution has no UI): after the rows above, $UI_TAGS_L more
  tags \`t00001\`… of image \`bench\` (which has \`latest\` already) are created by
  \`PUT /v2/bench/manifests/<tag>\` of the manifest of \`bench:latest\`, from one python3
  process over one kept-alive connection. The script then signs in to the admin UI as a browser
  does (\`GET /ui/signin\` for the form's token, \`POST /ui/signin\`, session cookie) and GETs
  the image's tag page \`/ui/browse/bench/bench/\` on the main listener with curl, once to warm
  up and then $UI_GETS times; the table has the median of curl's \`time_starttransfer\` (time to
  the first byte over loopback, so nearly all of it is the server querying the catalogue and
  rendering the page, which it sends in one piece) for the first page (100 tags a page) and, in
  brackets, for the page \`?after=${R[$s.ui_last_after]:-…}\` (the last 100 tags). Every
  answer must be 200 and list the expected tag; the target (< $UI_LIMIT_MS ms) applies to both
  pages. The tags stay for the rest of Stowage's run, so its whole-run peak RSS includes this step.
- **cold pull through the proxy**: distribution still holds the $BL blob pushed in its blob
  push row. First $PULLS direct \`GET /v2/bench/blobs/<digest>\` from distribution to /dev/null
  (the median is the reference, measured in this phase), then one \`GET
  /v2/bench/blobs/<digest>\` through the proxy: nothing is cached, so the proxy downloads the blob
  from distribution into a spool file and streams it to the client as it arrives, ending the
  response once the download's sha256 checks out; wall time of that GET (status 200 and the full
  size are checked). Target: at most 1.2 × the direct pull's time. The details give the CPU
  time of the whole machine during the cold pull and per direct pull, and how long one core
  takes to sha256 the blob: the proxy hashes every byte before the last one goes out, besides
  relaying and writing them, so the cold pull cannot take less than about (the machine's CPU
  time per direct pull + that sha256 time) / cores.
- **warm pull through the proxy**: once the proxy has logged storing its copy in its blob store
  (it does that after the cold response ends), $PULLS more GETs of the blob through the proxy to
  /dev/null; the table has the median, against the median of Stowage's hosted blob pull from
  earlier in the same run (the blob pull row). One more download's sha256 is checked, and
  distribution's access log gives how many times the proxy fetched the blob. Target: at least
  0.9 × the hosted pull's MB/s.

Ratios are stowage / distribution, except on the two proxy rows: proxy / direct pull from
distribution (cold) and proxy / Stowage's hosted pull (warm); whether higher or lower is better is
said on each row.

## Results

Run on $(date -u '+%Y-%m-%d %H:%M UTC').

$TABLE
$NOTES_MD
Details:

$DETAILS

## Machine

| fact | value |
| --- | --- |
| CPU | $(nproc) cores ($CPU) |
| memory | $MEM |
| disk under the work directory | $FS; dd durable write before: \`$DD1_LINE\`; after: \`$DD2_LINE\` |
| kernel | $(uname -r) |
| load average (1/5/15 min) at start / end | $LOAD_START / $(cut -d' ' -f1-3 /proc/loadavg) (anything else running on the machine shares its $(nproc) cores) |
| stowage commit | $COMMIT; binary built $BIN_MTIME |
| distribution | $DIST_VER (Debian \`docker-registry\`) |
| dockerd | $DOCKERD_VER |
| wrk | $WRK_VER |
EOF

echo
echo "dd durable write: $DD1_MBPS MB/s before, $DD2_MBPS MB/s after the registries"
echo
echo "$TABLE"
((${#NOTES[@]})) && printf '%s\n' "$NOTES_MD"
echo
echo "$DETAILS"
echo
log "wrote $OUT"
