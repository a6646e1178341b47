#!/usr/bin/env bash
# Install everything cqlgate needs to build and test on Debian 12, then resolve the
# Cassandra jars used by the integration tests. Run as root. Idempotent: when all
# packages are present it only checks them (no apt-get) and finishes in seconds.
#
# Note: Debian's python3-cassandra is importable only from /usr/bin/python3; tests
# that use the driver must run under that interpreter, not a python3 found first on PATH.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

die() { echo "deps: ERROR: $*" >&2; exit 1; }

[[ "$(id -u)" == 0 ]] || die "must run as root (apt-get install)"
command -v dpkg-query >/dev/null || die "dpkg-query not found: this script targets Debian 12"

pkgs=(
    build-essential pkg-config
    libuv1-dev node-llhttp libcjson-dev liblz4-dev libssl-dev
    python3-pytest python3-requests python3-cassandra python3-lz4
    python3-yaml                # tests/it/test_openapi.py reads the YAML form
    wrk
    clang libclang-rt-14-dev    # make fuzz (libFuzzer's runtime is only a Recommends of clang)
)
# Cassandra 5.0 runs on Java 11 or 17; tests/cassandra/start also finds a JDK 17 under
# /usr/lib/jvm when the default java is another version.
java_ok() {
    local j v
    for j in "$(command -v java || true)" /usr/lib/jvm/java-17-openjdk-*/bin/java; do
        [[ -x "$j" ]] || continue
        v="$("$j" -version 2>&1 | sed -n '1s/.*version "\([0-9]*\).*/\1/p')"
        [[ "$v" == 11 || "$v" == 17 ]] && return 0
    done
    return 1
}
java_ok || pkgs+=(openjdk-17-jre-headless)
command -v mvn  >/dev/null || pkgs+=(maven)

missing=()
for p in "${pkgs[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
    echo "deps: all ${#pkgs[@]} packages present"
else
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    log="$(mktemp /tmp/cqlgate-deps.XXXXXX.log)"
    if ! apt-get update >"$log" 2>&1; then
        tail -n 20 "$log" >&2; die "apt-get update failed (full log: $log)"
    fi
    if ! apt-get install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
        tail -n 20 "$log" >&2; die "apt-get install failed for: ${missing[*]} (full log: $log)"
    fi
    rm -f "$log"
    echo "deps: installed ${#missing[@]} package(s)"
fi

java_ok || die "no Java 11/17 after install"
command -v mvn  >/dev/null || die "mvn still missing after install"
/usr/bin/python3 -c 'import cassandra, lz4.block' 2>/dev/null \
    || die "/usr/bin/python3 cannot import cassandra and lz4.block"
echo "deps: java $(java -version 2>&1 | sed -n '1s/.*version "\([^"]*\)".*/\1/p'), $(mvn -v 2>/dev/null | sed -n '1s/\x1b\[[0-9;]*m//g;1s/Apache Maven \([^ ]*\).*/maven \1/p')"

echo "deps: cassandra jars"
"$repo/tests/cassandra/fetch" || die "tests/cassandra/fetch failed"
echo "deps: done"
