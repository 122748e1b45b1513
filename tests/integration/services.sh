# Private services for the integration scripts and the benchmarks (sourced; bash): a loopback
# docker-registry, a private dockerd, private podman storage. Everything started here is recorded
# in SERVICE_PIDS and stopped by PID with stop_services (call it from the caller's EXIT trap).
#
#   start_registry DIR [USER PASS]  -> REG_PID, REG_PORT, REG_HOST (127.0.0.1:PORT); plain HTTP,
#                                      storage under DIR, htpasswd (bcrypt) auth when USER is given
#   start_dockerd DIR               -> DOCKERD_PID; exports DOCKER_HOST (unix socket under DIR; no
#                                      iptables, no bridge). DIR must be short (socket path < 108)
#   podman_storage DIR [DRIVER]     -> PODMAN_ARGS (--root/--runroot/--storage-driver) and exports
#                                      CONTAINERS_STORAGE_CONF naming the same storage
#   stop_services                   -> SIGTERM each PID (newest first), SIGKILL after 10 s

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
  local dir=$1 user=${2:-} pass=${3:-}
  mkdir -p "$dir/data"
  REG_PORT=$(free_port)
  REG_HOST=127.0.0.1:$REG_PORT
  {
    printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n'
    printf 'storage:\n  filesystem:\n    rootdirectory: %s/data\n  delete:\n    enabled: true\n' "$dir"
    printf 'http:\n  addr: %s\n' "$REG_HOST"
    if [ -n "$user" ]; then
      htpasswd -Bbn "$user" "$pass" >"$dir/htpasswd"
      printf 'auth:\n  htpasswd:\n    realm: cairn-test\n    path: %s/htpasswd\n' "$dir"
    fi
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
