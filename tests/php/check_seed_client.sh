#!/usr/bin/env bash
# Check that the vendor's own PHP client (seed 000, copied unchanged into seed_client.php) works
# against the simulator: starts scripts/simulator on a free port, runs seed_client_driver.php
# (every client function), exits non-zero if any call throws. Needs php-cli and php-curl.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
seed_dir=${SEED_DIR:-/work/shared/seeds}
key=seed-check-key

if ! php -r 'exit(function_exists("curl_init") ? 0 : 1);' 2>/dev/null; then
    echo "php-cli with php-curl is required (apt-get install php-cli php-curl)" >&2
    exit 2
fi

# The client must stay the vendor's code: compare it with the seed when the seed is at hand.
seeds=("$seed_dir"/000_*.txt)
if [[ -f "${seeds[0]}" ]]; then
    if ! diff -q <(tail -n +3 "$here/seed_client.php") <(awk '
            /^define\("USE_SPECIFIED"/ { copying = 1 }
            copying { print }
            copying && /^function sendRequest/ { last = 1 }
            last && /^}/ { exit }' "${seeds[0]}") >/dev/null; then
        echo "tests/php/seed_client.php no longer matches ${seeds[0]}" >&2
        exit 1
    fi
fi

work=$(mktemp -d)
"$root/scripts/simulator" --port 0 --api-key "$key" --step 0 >"$work/url" 2>"$work/log" &
simulator=$!
cleanup() {
    kill "$simulator" 2>/dev/null || true
    wait "$simulator" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

url=""
for _ in $(seq 100); do
    url=$(head -n 1 "$work/url")
    [[ -n "$url" ]] && break
    if ! kill -0 "$simulator" 2>/dev/null; then
        cat "$work/log" >&2
        exit 1
    fi
    sleep 0.1
done
if [[ -z "$url" ]]; then
    echo "the simulator did not start" >&2
    exit 1
fi

SIM_URL="$url" SIM_API_KEY="$key" php "$here/seed_client_driver.php"
