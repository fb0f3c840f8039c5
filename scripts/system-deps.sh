#!/usr/bin/env bash
# The system programs that `make run` and `make test` need, checked before anything else runs.
#
#   scripts/system-deps.sh run      Python 3.11+ with venv, Node.js and npm (the front-end bundles)
#   scripts/system-deps.sh test     the same, plus PostgreSQL's server programs, Chromium and libatomic
#   scripts/system-deps.sh python   Python 3.11+ with venv only (make lint, make bench)
#
# When everything is there it prints nothing and exits 0 at once (no apt-get update).
# As root, what is missing is installed with apt-get. Otherwise it prints the one command to run and exits 1,
# so `make test` stops before any test starts.
# PYTHON and VENV come from the Makefile (python3 and .venv by default).
set -euo pipefail

mode=${1:-run}
case $mode in run | test | python) ;; *) echo "usage: $0 run|test|python" >&2; exit 2 ;; esac
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
cd "$(dirname "$0")/.."

# Node.js: esbuild is the only package that Node runs; the lockfile holds its `engines` (>=18 for esbuild 0.28).
# The bpmn-io packages declare newer Node versions, but they are only bundled for the browser, never run by Node:
# Debian 12's Node.js 18 with npm 9 builds the same bytes as Node.js 20. Node.js 12 (Debian 11) cannot run build.mjs.
node_minimum() {
  local spec
  spec=$(sed -n '/"node_modules\/esbuild": {/,/^    }/{s/.*"node": *"[^0-9]*\([0-9][0-9]*\).*/\1/p}' \
    frontend/package-lock.json 2>/dev/null | head -n 1)
  echo "${spec:-18}"
}

os_id() {  # debian, ubuntu (Ubuntu and the distributions built on it), or other
  local id="" like=""
  if [ -r /etc/os-release ]; then
    # shellcheck source=/dev/null
    id=$(. /etc/os-release && echo "${ID:-}")
    # shellcheck source=/dev/null
    like=$(. /etc/os-release && echo "${ID_LIKE:-}")
  fi
  case " $id $like " in
    *" ubuntu "*) echo ubuntu ;;
    *" debian "*) echo debian ;;
    *) echo other ;;
  esac
}

have() { command -v "$1" >/dev/null 2>&1; }

pg_program() {  # PATH first, then Debian's versioned folders, as tests/pgserver.py looks
  have "$1" && return 0
  compgen -G "/usr/lib/postgresql/*/bin/$1" >/dev/null
}

chromium_found() {  # as tests/browser/conftest.py looks
  if [ -n "${MOTCUA_CHROMIUM:-}" ]; then
    [ -x "$MOTCUA_CHROMIUM" ] || have "$MOTCUA_CHROMIUM"
    return
  fi
  have chromium || have chromium-browser || [ -x /snap/bin/chromium ]
}

# Fills: packages (apt names to install), reasons (what they are for), problems (what apt cannot fix here).
check() {
  packages=() reasons=() problems=() snaps=()
  local pyver nodever need_node
  if ! have "$PYTHON" && [ "$PYTHON" = python3 ]; then
    packages+=(python3) reasons+=("Python 3")
  elif ! have "$PYTHON"; then
    problems+=("PYTHON=$PYTHON was not found.")
  elif ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    pyver=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo "?")
    problems+=("Motcua needs Python 3.11 or newer; $PYTHON is $pyver. Install a newer one and run make with PYTHON=python3.X.")
  elif [ ! -x "$VENV/bin/python" ] && ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
    # Debian and Ubuntu leave ensurepip out of python3.X: without it `python3 -m venv` fails
    pyver=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    packages+=("python$pyver-venv") reasons+=("Python's venv module")
  fi
  [ "$mode" = python ] && return 0

  need_node=0
  if ! have node; then
    packages+=(nodejs) reasons+=("Node.js")
    need_node=1
  else
    nodever=$(node -p 'process.versions.node' 2>/dev/null || echo 0)
    if [ "${nodever%%.*}" -lt "$(node_minimum)" ]; then
      problems+=("The front-end build needs Node.js $(node_minimum) or newer; \`node\` is $nodever. Debian 12 and Ubuntu 24.04 ship a new enough one (apt-get install nodejs); elsewhere install Node.js $(node_minimum)+ from another source.")
    fi
    # the tests' stand-in VNeID provider (npm oidc-provider 9) uses URL.parse: Node.js 20.18 or newer
    local major=${nodever%%.*} minor
    minor=${nodever#*.}; minor=${minor%%.*}
    if [ "$mode" = test ] && { [ "$major" -lt 20 ] || { [ "$major" -eq 20 ] && [ "${minor:-0}" -lt 18 ]; }; }; then
      problems+=("The tests start a stand-in VNeID provider (npm oidc-provider) that needs Node.js 20.18 or newer; \`node\` is $nodever. Debian 13 and Ubuntu 24.04 ship one (apt-get install nodejs); on Debian 12 install Node.js 20 or 22 from another source (e.g. NodeSource) and run make test again.")
    fi
  fi
  if ! have npm; then
    packages+=(npm) reasons+=("npm")
    need_node=1
  fi
  if [ "$need_node" = 1 ] && [ ! -e /etc/ssl/certs/ca-certificates.crt ]; then
    packages+=(ca-certificates) reasons+=("CA certificates (npm's HTTPS)")
  fi
  [ "$mode" = run ] && return 0

  if ! pg_program initdb || ! pg_program pg_ctl; then
    packages+=(postgresql) reasons+=("PostgreSQL's server programs (initdb, pg_ctl)")
  elif [ "$(id -u)" = 0 ] && ! getent passwd postgres >/dev/null; then
    # tests/pgserver.py runs the server as `postgres` when root (initdb refuses root); apt's package makes it
    problems+=("PostgreSQL's programs are here but there is no \`postgres\` user to run the test server as root: useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home postgres")
  fi
  if ! compgen -G "/usr/lib/*/libatomic.so.1" >/dev/null && ! compgen -G "/lib/*/libatomic.so.1" >/dev/null \
    && [ ! -e /usr/lib/libatomic.so.1 ]; then
    # Playwright's driver is a Node.js build of its own (in the wheel) that links libatomic; fresh Debian lacks it
    packages+=(libatomic1) reasons+=("libatomic (Playwright's driver)")
  fi
  if [ ! -e /usr/lib/softhsm/libsofthsm2.so ] || ! command -v softhsm2-util >/dev/null; then
    # tests/test_signing_pkcs11.py seals with the unit key on a software token, as on an HSM
    packages+=(softhsm2) reasons+=("SoftHSM (a PKCS#11 token for the signing tests)")
  fi
  if ! chromium_found; then
    if [ -n "${MOTCUA_CHROMIUM:-}" ]; then
      problems+=("MOTCUA_CHROMIUM=$MOTCUA_CHROMIUM is not an executable program.")
    elif [ "$(os_id)" = ubuntu ]; then
      snaps+=(chromium) reasons+=("Chromium (Ubuntu has it only as a snap)")
    else
      # the font Debian's chromium recommends: installed without recommends, a fresh machine has no font at all
      packages+=(chromium fonts-liberation) reasons+=("Chromium")
    fi
  fi
}

apt_command() {
  echo "apt-get update && apt-get install -y --no-install-recommends ${packages[*]}"
}

report_and_exit() {  # what is missing and the one command that installs it; never returns
  local what="" cmd="" r
  for r in ${reasons[@]+"${reasons[@]}"}; do what="${what:+$what, }$r"; done
  [ ${#reasons[@]} -gt 0 ] && echo "make $mode needs system packages that are missing: $what." >&2
  if [ ${#packages[@]} -gt 0 ] || [ ${#snaps[@]} -gt 0 ]; then
    if [ ${#packages[@]} -gt 0 ]; then cmd=$(apt_command); fi
    if [ ${#snaps[@]} -gt 0 ]; then cmd="${cmd:+$cmd && }snap install ${snaps[*]}"; fi
    if [ "$(id -u)" = 0 ]; then :
    elif have sudo; then cmd="sudo sh -c '$cmd'"
    else cmd="su -c '$cmd'"
    fi
    if have apt-get; then
      printf '\nRun this once, then make %s again:\n\n    %s\n\n' "$mode" "$cmd" >&2
    else
      echo "This machine has no apt-get (Motcua's set-up expects Debian or Ubuntu): install them yourself." >&2
    fi
  fi
  for p in ${problems[@]+"${problems[@]}"}; do echo "$p" >&2; done
  exit 1
}

check
if [ ${#packages[@]} -eq 0 ] && [ ${#snaps[@]} -eq 0 ] && [ ${#problems[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" != 0 ] || [ ${#problems[@]} -gt 0 ] || ! have apt-get; then
  report_and_exit
fi

echo "make $mode: installing the missing system packages with apt-get: ${packages[*]} ${snaps[*]}" >&2
if [ ${#packages[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
if [ ${#snaps[@]} -gt 0 ]; then
  have snap || { echo "Ubuntu's Chromium is a snap and this machine has no snap command:" \
    "install Chromium or Chrome and set MOTCUA_CHROMIUM to its path." >&2; exit 1; }
  snap install "${snaps[@]}"
fi
hash -r
check  # what apt could not fix (a Node.js still too old, say) is reported now
if [ ${#packages[@]} -gt 0 ] || [ ${#snaps[@]} -gt 0 ] || [ ${#problems[@]} -gt 0 ]; then
  report_and_exit
fi
echo "make $mode: system packages installed." >&2
