#!/usr/bin/env bash
# A small legacy-style suite on an SQLite file: each test commits (sqlite3
# CLI or python3's sqlite3) and assumes it starts from the sample data, as
# old suites do. Prints "PASS name" or "FAIL name (...)" per test; exits
# non-zero if any failed.
set -u
db=$1
dir=$(cd "$(dirname "$0")" && pwd)
failed=0

run_test() { # run_test NAME EXPECTED COMMAND...: one process per test
  local name=$1 expected=$2 got
  shift 2
  export DBCLONE_TEST=$name
  got=$("$@" 2>&1 | tail -n1)
  if [ "$got" = "$expected" ]; then echo "PASS $name"; else
    echo "FAIL $name (wanted $expected, got $got)"; failed=1; fi
}

run_test sell_one_widget 9 sqlite3 "$db" \
  "UPDATE items SET stock = stock - 1 WHERE name = 'widget'; SELECT stock FROM items WHERE name = 'widget';"
run_test add_a_product 4 /usr/bin/python3 "$dir/add_product.py" "$db"
run_test catalogue_is_the_sample "3 items, 30 in stock" sqlite3 "$db" \
  "SELECT count(*) || ' items, ' || sum(stock) || ' in stock' FROM items;"
run_test clear_out_gadgets 2 /usr/bin/python3 "$dir/clear_gadgets.py" "$db"
exit $failed
