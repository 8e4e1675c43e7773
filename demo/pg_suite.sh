#!/usr/bin/env bash
# A small legacy-style suite: each test commits to the sample database in
# autocommit mode and assumes it starts from the sample data. Run plainly,
# the tests see each other's writes. Prints one "PASS name" or "FAIL name"
# line per test; exits non-zero if any failed.
set -u
db=$1
failed=0

check() { # check NAME SQL EXPECTED: one psql process per test
  local name=$1 sql=$2 expected=$3 got
  export DBCLONE_TEST=$name
  got=$(psql -X -qtA -v ON_ERROR_STOP=1 -d "$db" -c "$sql" 2>&1 | tail -n1)
  if [ "$got" = "$expected" ]; then echo "PASS $name"; else
    echo "FAIL $name (expected $expected, got $got)"; failed=1; fi
}

check sell_one_widget \
  "UPDATE items SET stock = stock - 1 WHERE name = 'widget'; SELECT stock FROM items WHERE name = 'widget'" 9
check add_a_product \
  "INSERT INTO items (name, stock) VALUES ('gizmo', 5); SELECT count(*) FROM items" 4
check catalogue_is_the_sample \
  "SELECT count(*) || ' items, ' || sum(stock) || ' in stock' FROM items" "3 items, 30 in stock"
check clear_out_gadgets \
  "DELETE FROM items WHERE name = 'gadget'; SELECT count(*) FROM items" 2
exit $failed
