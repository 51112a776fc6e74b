#!/usr/bin/env bash
# Check that the vendor's own PHP client works unchanged against the simulator: starts
# scripts/simulator on a free port, runs seed_client_driver.php (every client function), exits
# non-zero if any call throws. Needs php-cli and php-curl.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
seed_dir=${SEED_DIR:-$root/../shared/seeds}
key=seed-check-key

if ! php -r 'exit(function_exists("curl_init") ? 0 : 1);' 2>/dev/null; then
    echo "php-cli with php-curl is required (apt-get install php-cli php-curl)" >&2
    exit 2
fi

# The client is not kept in this repository: it is cut from the vendor's page (the team's copy
# in shared/seeds, or SEED_DIR) at every run, from define("USE_SPECIFIED" through sendRequest.
seeds=("$seed_dir"/000_*.txt)
[[ -f "${seeds[0]}" ]] || { echo "the vendor's page (000_*.txt) is not in $seed_dir; set SEED_DIR" >&2; exit 2; }

work=$(mktemp -d)
{
    echo "<?php"
    awk '/^define\("USE_SPECIFIED"/ { copying = 1 }
         copying { print }
         copying && /^function sendRequest/ { last = 1 }
         last && /^}/ { exit }' "${seeds[0]}"
} >"$work/seed_client.php"
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

SEED_CLIENT="$work/seed_client.php" SIM_URL="$url" SIM_API_KEY="$key" php "$here/seed_client_driver.php"
