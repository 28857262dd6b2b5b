# Sourced by tools/serve and tools/test: installs the Debian packages Rapport builds with, only
# when one is missing, so both commands are idempotent and fast on a prepared machine.
RAPPORT_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  liblmdb-dev libabsl-dev libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev libre2-dev libcli11-dev
  libssl-dev openssl libcpp-httplib-dev python3-grpcio python3-grpc-tools
  clang libclang-rt-14-dev
)

rapport_install_deps() {
  local missing=()
  for p in "${RAPPORT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "rapport: installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

# Configures and builds one CMake preset with both cores (the machines have two).
rapport_build() {
  local preset="$1"
  shift
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$(nproc)" "$@"
}
