# Shared by the side-by-side benchmarks (benches/*_vs.sh), sourced after `set -euo pipefail`:
# runs from the crate root and gives each script its release binary, a scratch folder
# removed on exit, and a clear message (status 2) for a missing tool.
#
#   source "$(dirname "$0")/common.sh"
#   need hyperfine duckdb      # any of: hyperfine duckdb time
#   echo "$bin" "$work"

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The release binary, built first if it is not there (CARGO_TARGET_DIR is honoured).
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/m365report
[ -x "$bin" ] || cargo build --release --quiet
[ -x "$bin" ] || { echo "no release binary at $bin: cargo build --release" >&2; exit 2; }

# A scratch folder for outputs, removed however the script ends.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Exits with status 2, naming how to install it, if a tool the script needs is missing.
need() {
    local tool
    for tool in "$@"; do
        case $tool in
            hyperfine) command -v hyperfine >/dev/null ||
                { echo "hyperfine is required (apt-get install -y hyperfine)" >&2; exit 2; } ;;
            duckdb) python3 -c 'import duckdb' 2>/dev/null ||
                { echo "DuckDB is required (python3 -m pip install duckdb)" >&2; exit 2; } ;;
            time) [ -x /usr/bin/time ] ||
                { echo "/usr/bin/time is required (apt-get install -y time)" >&2; exit 2; } ;;
            *) echo "need: unknown tool $tool" >&2; exit 2 ;;
        esac
    done
}

echo "machine: $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
