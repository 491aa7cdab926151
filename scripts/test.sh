#!/usr/bin/env bash
# Runs Stowage's whole test suite: formatting, lints and every test, with the services the
# tests need (PostgreSQL, and an S3 server from moto on a free port).
#
# Meant for a fresh Debian machine as root (as CI runs it: `bash .ci/run`, CI=true, no stdin);
# works from any directory. It installs what is missing and skips what is already there, so
# re-runs are fast. Exits non-zero if anything fails.
#
# Environment it honours:
#   STOWAGE_TEST_PG_URL  PostgreSQL admin URL (default postgres://postgres@127.0.0.1:5432/postgres)
# Environment it sets for the tests:
#   STOWAGE_TEST_PG_URL, STOWAGE_TEST_S3_ENDPOINT, STOWAGE_TEST_S3_BUCKET, STOWAGE_TEST_DOCKER_HOST
set -euo pipefail

# The Nexus client's generated method names change between releases; tests/compat/nexus_client.py
# is checked against this one.
NEXUS_API_CLIENT_VERSION="3.97.1"
S3_BUCKET="stowage-test"
PG_HOST="127.0.0.1"
PG_PORT="5432"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export DEBIAN_FRONTEND=noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PIP_ROOT_USER_ACTION=ignore
export PIP_NO_INPUT=1

# Each banner closes the phase before it, printing how long that phase took.
phase=""
phase_start=$SECONDS
banner() {
    end_phase
    phase="$*"
    phase_start=$SECONDS
    printf '\n==================== %s ====================\n' "$*"
}
end_phase() {
    if [[ -n "$phase" ]]; then
        printf -- '---- %s: %d s\n' "$phase" "$((SECONDS - phase_start))"
    fi
    phase=""
}

die() {
    printf 'test.sh: error: %s\n' "$*" >&2
    exit 1
}

# Polls "$@" until it succeeds or DEADLINE_SECS (first argument) pass; returns 1 on timeout.
wait_for() {
    local secs="$1"
    shift
    local deadline=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            return 1
        fi
        sleep 0.2
    done
}

# ---------------------------------------------------------------------------------------------
banner "Installing test prerequisites"

apt_missing=()
command -v curl >/dev/null 2>&1 || apt_missing+=(curl)
command -v python3 >/dev/null 2>&1 || apt_missing+=(python3)
if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
    apt_missing+=(python3-pip)
fi
command -v skopeo >/dev/null 2>&1 || apt_missing+=(skopeo)
# The anonymous-access matrix drives podman too (its own storage under a temp dir, vfs).
command -v podman >/dev/null 2>&1 || apt_missing+=(podman)
command -v dockerd >/dev/null 2>&1 || apt_missing+=(docker.io)
# Docker proxy tests use Debian's docker-registry (CNCF distribution) as the upstream.
command -v docker-registry >/dev/null 2>&1 || apt_missing+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || apt_missing+=(apache2-utils)
# The admin UI tests drive Debian's Chromium through chromedriver.
command -v chromium >/dev/null 2>&1 || apt_missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || apt_missing+=(chromium-driver)
if ! command -v pg_isready >/dev/null 2>&1; then
    apt_missing+=(postgresql-client)
fi
if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    # No local cluster to start: only needed if nothing already answers on the port.
    if ! { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }; then
        apt_missing+=(postgresql)
    fi
fi
if ((${#apt_missing[@]} > 0)); then
    echo "apt: installing ${apt_missing[*]}"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
else
    echo "apt: nothing to install"
fi

# Debian's own python3 refuses system-wide pip installs (PEP 668) unless told otherwise.
if python3 -c 'import sys, sysconfig, os; sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")) else 1)'; then
    export PIP_BREAK_SYSTEM_PACKAGES=1
fi

pip_missing=()
python3 -c 'import moto.server, flask, flask_cors' >/dev/null 2>&1 || pip_missing+=("moto[server]")
python3 -c "
import sys
from importlib.metadata import version
import nexus_api_client
sys.exit(0 if version('nexus-api-client') == '$NEXUS_API_CLIENT_VERSION' else 1)
" >/dev/null 2>&1 || pip_missing+=("nexus-api-client==$NEXUS_API_CLIENT_VERSION")
if ((${#pip_missing[@]} > 0)); then
    echo "pip: installing ${pip_missing[*]}"
    python3 -m pip install -q "${pip_missing[@]}"
else
    echo "pip: nothing to install"
fi

command -v cargo >/dev/null 2>&1 || die "cargo is not on PATH (the Rust toolchain must be installed)"
cargo fmt --version >/dev/null 2>&1 || die "rustfmt is missing (rustup component add rustfmt)"
cargo clippy --version >/dev/null 2>&1 || die "clippy is missing (rustup component add clippy)"
if cargo nextest --version >/dev/null 2>&1; then
    have_nextest=1
else
    have_nextest=0
    echo "cargo-nextest not found: the tests will run with cargo test"
fi

# ---------------------------------------------------------------------------------------------
banner "PostgreSQL on $PG_HOST:$PG_PORT"

if pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
    echo "PostgreSQL is accepting connections"
else
    pg_version="$(find /etc/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sort -V | tail -n 1 || true)"
    [[ -n "$pg_version" ]] || die "PostgreSQL is not running and no cluster exists under /etc/postgresql"
    hba="/etc/postgresql/$pg_version/main/pg_hba.conf"
    # The tests connect as postgres over TCP without a password, as the machine's cluster
    # allows; give a cluster that does not (a new Debian one) that rule for loopback.
    if [[ -f "$hba" ]] && ! grep -Eq '^host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
        echo "pg_hba.conf: allowing trust auth on 127.0.0.1"
        sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    fi
    echo "starting cluster $pg_version/main"
    pg_ctlcluster --skip-systemctl-redirect "$pg_version" main start || true
    wait_for 60 pg_isready -q -h "$PG_HOST" -p "$PG_PORT" \
        || die "PostgreSQL did not accept connections on $PG_HOST:$PG_PORT within 60 s"
    echo "PostgreSQL is accepting connections"
fi
export STOWAGE_TEST_PG_URL="${STOWAGE_TEST_PG_URL:-postgres://postgres@$PG_HOST:$PG_PORT/postgres}"
echo "STOWAGE_TEST_PG_URL=$STOWAGE_TEST_PG_URL"
# Each PostgreSQL test creates its own stowage_test_<uuid> database; drop those of earlier runs.
stale_dbs="$(psql "$STOWAGE_TEST_PG_URL" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'stowage\_test\_%'" || true)"
for db in $stale_dbs; do
    psql "$STOWAGE_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null || true
done
[[ -z "$stale_dbs" ]] || echo "dropped $(wc -w <<<"$stale_dbs") test databases of earlier runs"

# ---------------------------------------------------------------------------------------------
banner "S3 server (moto)"

work_dir="$(mktemp -d "${TMPDIR:-/tmp}/stowage-test.XXXXXX")"
moto_pid=""
step_pid=""
cleanup() {
    local status=$?
    end_phase
    if [[ -n "${dockerd_pid:-}" ]] && kill -0 "$dockerd_pid" 2>/dev/null; then
        kill "$dockerd_pid" 2>/dev/null || true
        wait "$dockerd_pid" 2>/dev/null || true
    fi
    if [[ -n "$moto_pid" ]] && kill -0 "$moto_pid" 2>/dev/null; then
        kill "$moto_pid" 2>/dev/null || true
        wait "$moto_pid" 2>/dev/null || true
    fi
    rm -rf "$work_dir"
    exit "$status"
}
# On INT/TERM, stop the running step first (bash would otherwise wait for it before acting).
on_signal() {
    if [[ -n "$step_pid" ]]; then
        kill -TERM "$step_pid" 2>/dev/null || true
        wait "$step_pid" 2>/dev/null || true
    fi
    exit "$1"
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

# Runs one step as a child the signal handlers can reach; returns its exit status.
run_step() {
    local rc=0
    "$@" &
    step_pid=$!
    wait "$step_pid" || rc=$?
    step_pid=""
    return "$rc"
}

moto_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
moto_log="$work_dir/moto.log"
# `python3 -m moto.server` is what the moto_server command runs; calling it through python3
# avoids depending on PATH (or pyenv's shims) having picked up a freshly installed script.
python3 -m moto.server -H 127.0.0.1 -p "$moto_port" >"$moto_log" 2>&1 </dev/null &
moto_pid=$!

moto_answers() {
    kill -0 "$moto_pid" 2>/dev/null || return 0 # dead: stop waiting, checked below
    local code
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$moto_port/" || true)"
    [[ "$code" != "000" && -n "$code" ]]
}
if ! wait_for 60 moto_answers || ! kill -0 "$moto_pid" 2>/dev/null; then
    cat "$moto_log" >&2 || true
    die "moto_server did not answer on 127.0.0.1:$moto_port within 60 s"
fi
curl -fsS -o /dev/null -X PUT "http://127.0.0.1:$moto_port/$S3_BUCKET" \
    || { cat "$moto_log" >&2; die "could not create bucket $S3_BUCKET in moto"; }
export STOWAGE_TEST_S3_ENDPOINT="http://127.0.0.1:$moto_port"
export STOWAGE_TEST_S3_BUCKET="$S3_BUCKET"
echo "moto_server (pid $moto_pid): STOWAGE_TEST_S3_ENDPOINT=$STOWAGE_TEST_S3_ENDPOINT STOWAGE_TEST_S3_BUCKET=$STOWAGE_TEST_S3_BUCKET"

# ---------------------------------------------------------------------------------------------
banner "Docker daemon (for the docker CLI tests)"

# No container networking is needed (nothing is run, only pushed and pulled), so the daemon runs
# without iptables or a bridge, on vfs, with every path inside the work directory.
docker_dir="$work_dir/docker"
mkdir -p "$docker_dir"
dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs \
    --data-root "$docker_dir/root" --exec-root "$docker_dir/exec" --pidfile "$docker_dir/dockerd.pid" \
    --host "unix://$docker_dir/docker.sock" >"$docker_dir/dockerd.log" 2>&1 </dev/null &
dockerd_pid=$!
docker_answers() {
    kill -0 "$dockerd_pid" 2>/dev/null || return 0 # dead: stop waiting, checked below
    DOCKER_HOST="unix://$docker_dir/docker.sock" docker version >/dev/null 2>&1
}
if ! wait_for 60 docker_answers || ! kill -0 "$dockerd_pid" 2>/dev/null; then
    tail -n 30 "$docker_dir/dockerd.log" >&2 || true
    die "dockerd did not start within 60 s"
fi
export STOWAGE_TEST_DOCKER_HOST="unix://$docker_dir/docker.sock"
echo "dockerd (pid $dockerd_pid): STOWAGE_TEST_DOCKER_HOST=$STOWAGE_TEST_DOCKER_HOST"

# ---------------------------------------------------------------------------------------------
banner "cargo fmt --all --check"
run_step cargo fmt --all --check

banner "cargo clippy --workspace --all-targets -- -D warnings"
run_step cargo clippy --workspace --all-targets -- -D warnings

if ((have_nextest)); then
    banner "cargo nextest run --workspace --no-fail-fast"
    run_step cargo nextest run --workspace --no-fail-fast
else
    banner "cargo test --workspace --no-fail-fast"
    run_step cargo test --workspace --no-fail-fast
fi

end_phase
banner "All checks passed"
phase=""
printf -- '---- total: %d s\n' "$SECONDS"
