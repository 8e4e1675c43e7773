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
