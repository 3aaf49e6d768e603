# shellcheck shell=bash
# Set-up shared by scripts/test, scripts/demo and .ci/run: where the repository is, installing
# what is missing (Debian/Ubuntu packages) and configuring a build directory.
# Sourced, never run on its own. Environment knobs:
#   DUEL_CMAKE_ARGS  extra arguments for the configure of build/, split with shell quoting rules
#                    (e.g. DUEL_CMAKE_ARGS='-DDUEL_WERROR=ON -DCMAKE_CXX_FLAGS="-g -O1"')
#   DUEL_SKIP_DEPS=1 trust that the dependencies are there (installed somewhere we do not look)
#   CXX              the compiler, as for any CMake project

DUEL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DUEL_JOBS=$(nproc 2>/dev/null || echo 2)
DUEL_PACKAGES=(cmake g++ libeigen3-dev doctest-dev libstb-dev)

duel_say() { printf 'duel: %s\n' "$*"; }
duel_die() {
  printf 'duel: error: %s\n' "$*" >&2
  exit 1
}

# True when one of the glob patterns (relative to a prefix) matches a file under /usr, /usr/local
# or a CMAKE_PREFIX_PATH entry: the places where CMake will look for the same files.
duel_have_file() {
  local prefix pattern
  local IFS=:
  for prefix in /usr /usr/local ${CMAKE_PREFIX_PATH:-}; do
    for pattern in "$@"; do
      compgen -G "$prefix/$pattern" >/dev/null && return 0
    done
  done
  return 1
}

# Prints what the build needs and does not find, one word per missing item.
duel_missing_deps() {
  local missing=()
  command -v cmake >/dev/null || missing+=(cmake)
  command -v "${CXX:-g++}" >/dev/null || missing+=("${CXX:-g++}")
  # The CMake config, not just the headers: CMakeLists.txt asks for find_package(Eigen3 NO_MODULE).
  duel_have_file share/eigen3/cmake/Eigen3Config.cmake lib/cmake/eigen3/Eigen3Config.cmake \
    'lib/*/cmake/eigen3/Eigen3Config.cmake' || missing+=(eigen3)
  duel_have_file lib/cmake/doctest/doctestConfig.cmake 'lib/*/cmake/doctest/doctestConfig.cmake' \
    share/doctest/cmake/doctestConfig.cmake || missing+=(doctest)
  duel_have_file include/stb/stb_image_write.h include/stb_image_write.h || missing+=(stb)
  printf '%s' "${missing[*]}"
}

# Installs Debian packages: directly as root, through sudo when it needs no password, otherwise
# prints the command to run and fails.
duel_apt_install() {
  local sudo=()
  if [[ $EUID -ne 0 ]]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      sudo=(sudo)
    elif command -v sudo >/dev/null; then
      printf 'duel: sudo needs a password; install the dependencies with:\n' >&2
      printf '  sudo apt-get update && sudo apt-get install -y %s\n' "$*" >&2
      return 1
    else
      printf 'duel: not root and no sudo; as root, install the dependencies with:\n' >&2
      printf '  apt-get update && apt-get install -y %s\n' "$*" >&2
      return 1
    fi
  fi
  if ! command -v apt-get >/dev/null; then
    printf 'duel: no apt-get here; install the equivalents of these Debian packages: %s\n' "$*" >&2
    return 1
  fi
  duel_say "installing $*"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

duel_cmake_version() { cmake --version | awk 'NR == 1 { print $3 }'; }
duel_cmake_at_least() { [[ $(printf '%s\n' "$1" "$(duel_cmake_version)" | sort -V | head -n1) == "$1" ]]; }

# Checks the dependencies and installs them when something is missing. Silent when all is there.
duel_ensure_deps() {
  if [[ ${DUEL_SKIP_DEPS:-0} == 1 ]]; then return 0; fi
  local missing
  missing=$(duel_missing_deps)
  if [[ -z $missing ]]; then
    duel_cmake_at_least 3.20 || duel_die "CMake $(duel_cmake_version) is too old: Duel needs 3.20 or newer"
    return 0
  fi
  duel_say "missing: $missing"
  duel_apt_install "${DUEL_PACKAGES[@]}" || exit 1
  missing=$(duel_missing_deps)
  [[ -z $missing ]] || duel_die "still missing after the install: $missing"
}

# duel_configure DIR [CMAKE_ARGS...]: configures DIR (under the repository root) from the root.
# Runs every time (a no-op configure takes well under a second) so that CMake notices new files,
# and starts from a fresh cache when the arguments or CXX changed since the last run, so that an
# option dropped from the arguments does not linger in the cache. Prints only warnings and errors.
duel_configure() {
  local dir="$DUEL_ROOT/$1"
  shift
  local stamp="$dir/.duel-configure-args" want fresh=() log
  want=$(printf '%q ' "CXX=${CXX:-}" "$@")
  if [[ -f $dir/CMakeCache.txt && ! (-f $stamp && $(<"$stamp") == "$want") ]]; then
    duel_say "configure arguments changed: starting $(basename "$dir")/ from a fresh CMake cache"
    if duel_cmake_at_least 3.24; then
      fresh=(--fresh)
    else
      rm -f "$dir/CMakeCache.txt"
    fi
  fi
  mkdir -p "$dir"
  if ! log=$(cmake -S "$DUEL_ROOT" -B "$dir" "${fresh[@]}" --log-level=WARNING "$@" 2>&1); then
    printf '%s\n' "$log" >&2
    duel_die "configuring $dir failed"
  fi
  # Keep warnings, drop the three lines CMake always prints.
  printf '%s\n' "$log" | grep -Ev '^$|^-- (Configuring done|Generating done|Build files have been written)' || true
  printf '%s' "$want" >"$stamp"
}

# duel_build DIR [TARGET...]: builds DIR with every core.
duel_build() {
  local dir="$DUEL_ROOT/$1"
  shift
  local targets=()
  if (($# > 0)); then targets=(--target "$@"); fi
  cmake --build "$dir" --parallel "$DUEL_JOBS" "${targets[@]}" || duel_die "building $dir failed"
}

# The set-up of the main build: dependencies, then build/ configured as Release plus
# DUEL_CMAKE_ARGS (which come last, so they may override the build type).
duel_setup_main_build() {
  duel_ensure_deps
  local extra=() words
  # xargs splits with shell-like quoting and, unlike eval, runs nothing.
  words=$(printf '%s' "${DUEL_CMAKE_ARGS:-}" | xargs -r printf '%s\n') ||
    duel_die "cannot parse DUEL_CMAKE_ARGS: ${DUEL_CMAKE_ARGS:-}"
  if [[ -n $words ]]; then mapfile -t extra <<<"$words"; fi
  duel_configure build -DCMAKE_BUILD_TYPE=Release "${extra[@]}"
}
