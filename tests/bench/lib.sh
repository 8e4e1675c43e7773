# Shared by the benchmark scripts (sourced, from the top of the tree).

# Reads one number per line; prints "median min max".
median() {
  sort -n | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.2f %.2f %.2f", m, a[1], a[NR]}'
}

ratio() { # ratio A B: A / B, two decimals
  awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'
}

now_ns() { date +%s%N; }

ms_since() { # ms_since START_NS: milliseconds from then to now, two decimals
  local end
  end=$(now_ns)
  # The difference in shell integers: nanoseconds since 1970 are beyond
  # the 53 bits awk's doubles hold exactly.
  echo $(( (end - $1) / 1000 )) | awk '{printf "%.2f\n", $1 / 1000}'
}

# MariaDB as root through the throwaway server's socket; the arguments
# go to the mariadb client.
my() { mariadb -uroot -S "$MYSQL_UNIX_PORT" "$@"; }

recreate_pg_db() { # recreate_pg_db NAME: an empty database NAME
  PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres \
    -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
}

recreate_mysql_db() { # recreate_mysql_db NAME: an empty database NAME
  my -e "DROP DATABASE IF EXISTS $1; CREATE DATABASE $1"
}
