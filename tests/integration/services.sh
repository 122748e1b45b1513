# Private services for the integration scripts and the benchmarks (sourced; bash): a loopback
# docker-registry, a private dockerd, private podman storage. Everything started here is recorded
# in SERVICE_PIDS and stopped by PID with stop_services (call it from the caller's EXIT trap).
#
#   start_registry DIR [USER PASS]  -> REG_PID, REG_PORT, REG_HOST (127.0.0.1:PORT); plain HTTP,
#                                      storage under DIR, htpasswd (bcrypt) auth when USER is given
#   start_token_registry DIR USER PASS PUBLIC_PREFIX
#                                   -> the same with bearer-token auth from a token server of ours
#                                      (tests/tools/registry-token-server.py; TOKEN_LOG: one line
#                                      per token request): USER gets what it asks for, anonymous
#                                      clients may pull below PUBLIC_PREFIX
#   start_cutting_proxy DIR UPSTREAM BYTES CUTS [MIN_SIZE [UPLOAD_BYTES]]
#                                   -> PROXY_HOST: a proxy that cuts the first CUTS downloads of
#                                      each blob of MIN_SIZE bytes or more after BYTES (CUTS -1: all;
#                                      with UPLOAD_BYTES, also the first PATCH/PUT of each upload
#                                      session after that many body bytes, unforwarded;
#                                      tests/tools/cutting-proxy.py; PROXY_LOG: one line per blob
#                                      request, with its Range / Content-Range)
#   start_cache_registry DIR REMOTE -> REG_PID, REG_HOST: a pull-through cache (docker-registry's
#                                      proxy.remoteurl mode) in front of the registry at REMOTE
#                                      (host:port, plain HTTP)
#   start_dockerd DIR               -> DOCKERD_PID; exports DOCKER_HOST (unix socket under DIR; no
#                                      iptables, no bridge). DIR must be short (socket path < 108)
#   podman_storage DIR [DRIVER]     -> PODMAN_ARGS (--root/--runroot/--storage-driver) and exports
#                                      CONTAINERS_STORAGE_CONF naming the same storage
#   stop_services                   -> SIGTERM each PID (newest first), SIGKILL after 10 s
#   service_scratch TAG TOOL...     -> exits 77 with a SKIP line when a TOOL is missing; else WORK (a
#                                      new scratch directory), ROOT=WORK/store, and an EXIT trap that
#                                      stops the services and removes WORK (KEEP=1 keeps it)

SERVICE_PIDS=()

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.2 s
wait_for() {
  local tries=$(($1 * 5)); shift
  for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}

start_registry() {
  local dir=$1 user=${2:-} pass=${3:-} auth=
  mkdir -p "$dir"
  if [ -n "$user" ]; then
    htpasswd -Bbn "$user" "$pass" >"$dir/htpasswd"
    auth=$(printf 'auth:\n  htpasswd:\n    realm: cairn-test\n    path: %s/htpasswd\n' "$dir")
  fi
  launch_registry "$dir" "$auth"
}

start_token_registry() {
  local dir=$1 user=$2 pass=$3 public=$4 auth
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=cairn-test-token-issuer \
    -keyout "$dir/token.key" -out "$dir/token.crt" >"$dir/openssl.log" 2>&1 || return 1
  TOKEN_LOG=$dir/token.log
  : >"$TOKEN_LOG"
  start_tool TOKEN_PORT "$dir/token.port" "$REPO_DIR/tests/tools/registry-token-server.py" \
    --key "$dir/token.key" --cert "$dir/token.crt" --service cairn-test-registry \
    --issuer cairn-test-token-issuer --user "$user:$pass" --public "$public" \
    --log "$TOKEN_LOG" || return 1
  auth=$(printf 'auth:\n  token:\n    realm: http://127.0.0.1:%s/token\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n' \
    "$TOKEN_PORT" cairn-test-registry cairn-test-token-issuer "$dir/token.crt")
  launch_registry "$dir" "$auth"
}

start_cutting_proxy() {
  local dir=$1 upstream=$2 cut_after=$3 cuts=$4 min_size=${5:-0} upload_bytes=${6:-}
  mkdir -p "$dir"
  PROXY_LOG=$dir/proxy.log
  : >"$PROXY_LOG"
  start_tool PROXY_PORT "$dir/proxy.port" "$REPO_DIR/tests/tools/cutting-proxy.py" \
    --upstream "$upstream" --cut-after "$cut_after" --cuts "$cuts" \
    --min-size "$min_size" ${upload_bytes:+--cut-uploads "$upload_bytes"} --log "$PROXY_LOG" || return 1
  PROXY_HOST=127.0.0.1:$PROXY_PORT
}

# start_tool VAR PORT_FILE SCRIPT ARGS...: runs a loopback test server of tests/tools that
# writes its port to PORT_FILE; sets VAR to that port
start_tool() {
  local var=$1 port_file=$2; shift 2
  rm -f "$port_file"
  /usr/bin/python3 "$@" --port-file "$port_file" >"$port_file.log" 2>&1 &
  SERVICE_PIDS+=("$!")
  wait_for 10 test -s "$port_file" || return 1
  printf -v "$var" '%s' "$(cat "$port_file")"
}

start_cache_registry() {
  launch_registry "$1" "$(printf 'proxy:\n  remoteurl: http://%s' "$2")"
}

# launch_registry DIR EXTRA_YAML: docker-registry with storage under DIR/data, plus EXTRA_YAML
# (auth, proxy) at the top level
launch_registry() {
  local dir=$1 auth=$2
  mkdir -p "$dir/data"
  REG_PORT=$(free_port)
  REG_HOST=127.0.0.1:$REG_PORT
  {
    printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n'
    printf 'storage:\n  filesystem:\n    rootdirectory: %s/data\n  delete:\n    enabled: true\n' "$dir"
    printf 'http:\n  addr: %s\n' "$REG_HOST"
    [ -z "$auth" ] || printf '%s\n' "$auth"
  } >"$dir/config.yml"
  docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  REG_PID=$!
  SERVICE_PIDS+=("$REG_PID")
  # /v2/ answers 200, or 401 with auth: any HTTP answer means it is up
  wait_for 10 curl -s -o /dev/null "http://$REG_HOST/v2/"
}

start_dockerd() {
  local dir=$1
  mkdir -p "$dir"
  export DOCKER_HOST=unix://$dir/d.sock
  dockerd --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/pid" \
    -H "$DOCKER_HOST" --iptables=false --bridge=none --ip-forward=false >"$dir/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  SERVICE_PIDS+=("$DOCKERD_PID")
  DOCKERD_DIR=$dir
  wait_for 20 docker version
}

podman_storage() {
  local dir=$1 driver=${2:-vfs}
  mkdir -p "$dir"
  PODMAN_ARGS=(--root "$dir/root" --runroot "$dir/run" --storage-driver "$driver")
  printf '[storage]\ndriver = "%s"\ngraphroot = "%s/root"\nrunroot = "%s/run"\n' \
    "$driver" "$dir" "$dir" >"$dir/storage.conf"
  export CONTAINERS_STORAGE_CONF=$dir/storage.conf
}

service_scratch() {
  local tag=$1 tool; shift
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null; then echo "# SKIP: $tool is not installed"; exit 77; fi
  done
  WORK=$(mktemp -d "${CAIRN_TEST_TMP:-/var/tmp}/cairn-$tag.XXXXXX")
  ROOT=$WORK/store
  trap 'stop_services; [ -n "${KEEP:-}" ] || rm -rf "$WORK" 2>/dev/null || true' EXIT
}

stop_services() {
  local i pid
  for ((i = ${#SERVICE_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${SERVICE_PIDS[$i]}
    kill -0 "$pid" 2>/dev/null || continue
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  SERVICE_PIDS=()
  if [ -n "${DOCKERD_DIR:-}" ]; then
    awk -v d="$DOCKERD_DIR/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r |
      while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  fi
}
