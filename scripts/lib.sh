# Shared by the scripts: source it from the repository root.

die() { echo "${0##*/}: error: $*" >&2; exit 1; }

# run_with_python314 CMD [ARG...]: unless this machine has a working python3.14, run the command
# inside ../shared/tools/with-python314 (a Debian root that has one) instead of going on here.
run_with_python314() {
  if python3.14 -c 'import sys' 2>/dev/null; then
    return 0
  fi
  local tool=../shared/tools/with-python314
  [[ -x $tool ]] || die "Home Assistant 2026.x needs Python 3.14: install python3.14, or put the \
team's shared/ folder (with tools/with-python314) beside this repository"
  exec "$tool" "$@"
}

# integration_requirements PYTHON: print the packages the integration's manifest.json requires,
# one a line, as Home Assistant installs them for users; bootstrap installs the same everywhere.
integration_requirements() {
  "${1:?integration_requirements needs a python}" -c 'import json, sys
print("\n".join(json.load(open(sys.argv[1]))["requirements"]))' custom_components/sms_bridge/manifest.json
}
