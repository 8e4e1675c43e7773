# Shared by the throwaway-server scripts (sourced, not run).

# A loopback TCP port nothing listens on.
free_port() {
  local port
  for _ in $(seq 50); do
    port=$(( 20000 + RANDOM % 30000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"; return 0
    fi
  done
  echo "dbclone: no free loopback port found; free some, or retry" >&2
  return 1
}

# Where throwaway servers keep their data: memory (/dev/shm, when it is a
# writable tmpfs with 2 GiB free), as PostgreSQL's "Non-Durable Settings"
# advise for test servers; else TMPDIR. DBCLONE_SERVER_DIR overrides.
server_base() {
  local free
  if [ -n "${DBCLONE_SERVER_DIR:-}" ]; then
    echo "$DBCLONE_SERVER_DIR"; return
  fi
  free=$(df -k --output=avail /dev/shm 2>/dev/null | tail -n1 || echo 0)
  if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ] &&
     [ "${free:-0}" -gt 2097152 ]; then
    echo /dev/shm
  else
    echo "${TMPDIR:-/tmp}"
  fi
}
