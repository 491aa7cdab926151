#!/usr/bin/env bash
# Acceptance check for big raw uploads: starts a release `stowage`, uploads a file of SIZE_MIB
# (default 1024) with curl --upload-file, downloads it, compares sha256 and reports the server's
# peak RSS (VmHWM). Usage:
#   scripts/large-upload-check.sh [sqlite|postgres] [file|s3]
# postgres uses $STOWAGE_TEST_PG_URL (a fresh database is created); s3 needs
# $STOWAGE_TEST_S3_ENDPOINT and $STOWAGE_TEST_S3_BUCKET (as scripts/test.sh sets them).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
backend="${1:-sqlite}"
store="${2:-file}"
size_mib="${SIZE_MIB:-1024}"
bin="${STOWAGE_BIN:-$ROOT/target/release/stowage}"
[[ -x "$bin" ]] || cargo build --release --bin stowage

work="$(mktemp -d)"
pid=""
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

export STOWAGE_DATA_DIR="$work/data" STOWAGE_LISTEN=127.0.0.1:0 STOWAGE_ADMIN_PASSWORD=check-password STOWAGE_LOG=info
if [[ "$backend" == postgres ]]; then
    pg="${STOWAGE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
    db="stowage_check_$$"
    psql "$pg" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null 2>&1
    export STOWAGE_DATABASE_URL="${pg%/*}/$db"
fi
"$bin" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "listening" "$work/log" && break; sleep 0.1; done
addr="$(grep -o 'address=[0-9.:]*' "$work/log" | head -1 | cut -d= -f2)"
[[ -n "$addr" ]] || { cat "$work/log"; echo "server did not start" >&2; exit 1; }
base="http://$addr"
auth=(-u admin:check-password)

blob_store=default
if [[ "$store" == s3 ]]; then
    blob_store=s3
    curl -fsS "${auth[@]}" -H 'Content-Type: application/json' "$base/service/rest/v1/blobstores/s3" -d "{\"name\":\"s3\",\"bucketConfiguration\":{\"bucket\":{\"name\":\"$STOWAGE_TEST_S3_BUCKET\",\"region\":\"us-east-1\",\"prefix\":\"check-$$\"},\"bucketSecurity\":{\"accessKeyId\":\"testing\",\"secretAccessKey\":\"testing\"},\"advancedBucketConnection\":{\"endpoint\":\"$STOWAGE_TEST_S3_ENDPOINT\",\"forcePathStyle\":true}}}"
fi
code="$(curl -sS -o /dev/null -w '%{http_code}' "${auth[@]}" -H 'Content-Type: application/json' "$base/service/rest/v1/repositories/raw/hosted" \
    -d "{\"name\":\"raw-hosted\",\"online\":true,\"storage\":{\"blobStoreName\":\"$blob_store\",\"strictContentTypeValidation\":false,\"writePolicy\":\"ALLOW\"}}")"
echo "create repository: HTTP $code"

head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$work/big.bin"
start=$(date +%s%N)
code="$(curl -sS -o /dev/null -w '%{http_code}' "${auth[@]}" --upload-file "$work/big.bin" "$base/repository/raw-hosted/releases/big.bin")"
up_ms=$((($(date +%s%N) - start) / 1000000))
echo "upload ${size_mib} MiB: HTTP $code in ${up_ms} ms"
start=$(date +%s%N)
curl -sS -f "${auth[@]}" -o "$work/down.bin" "$base/repository/raw-hosted/releases/big.bin"
down_ms=$((($(date +%s%N) - start) / 1000000))
echo "download: ${down_ms} ms"
a="$(sha256sum <"$work/big.bin" | cut -d' ' -f1)"
b="$(sha256sum <"$work/down.bin" | cut -d' ' -f1)"
echo "sha256 uploaded   $a"
echo "sha256 downloaded $b"
peak_kib="$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")"
echo "server peak RSS: $((peak_kib / 1024)) MiB (backend=$backend store=$store)"
[[ "$a" == "$b" ]] || { echo "MISMATCH" >&2; exit 1; }
(( peak_kib < 64 * 1024 )) || { echo "peak RSS over 64 MiB" >&2; exit 1; }
[[ "$backend" == postgres ]] && psql "$pg" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
