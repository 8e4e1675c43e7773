# Shared by the benchmark scripts (sourced).

# Reads one number per line; prints "median min max".
median() {
  sort -n | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.2f %.2f %.2f", m, a[1], a[NR]}'
}
