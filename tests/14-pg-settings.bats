#!/usr/bin/env bats
# What CREATE DATABASE ... TEMPLATE does not copy, the clone has anyway.

load test_helper

setup() {
  sql postgres "DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'reader') THEN CREATE ROLE reader; END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app') THEN CREATE ROLE app LOGIN CREATEDB; END IF;
  END \$\$" >/dev/null
}

settings_of_current_db="SELECT coalesce((SELECT string_agg(coalesce(pg_get_userbyid(nullif(s.setrole, 0)), '-') || '=' || array_to_string(s.setconfig, ';'), '|' ORDER BY s.setrole) FROM pg_db_role_setting s WHERE s.setdatabase = d.oid), '') FROM pg_database d WHERE d.datname = current_database()"
grants_of_current_db="SELECT coalesce((SELECT string_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END || ':' || a.privilege_type || ':' || a.is_grantable, ',' ORDER BY CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, a.privilege_type) FROM aclexplode(d.datacl) a WHERE a.grantee <> d.datdba), 'default') FROM pg_database d WHERE d.datname = current_database()"

@test "database-level settings (lists included) and per-role settings are on the clone" {
  src=$(new_source)
  sql postgres "ALTER DATABASE \"$src\" SET work_mem = '12MB'" >/dev/null
  sql postgres "ALTER DATABASE \"$src\" SET search_path = app_schema, \"\$user\", \"Odd Name\", public" >/dev/null
  sql postgres "ALTER ROLE reader IN DATABASE \"$src\" SET statement_timeout = '5s'" >/dev/null
  expected=$(sql "$src" "$settings_of_current_db")
  [[ $expected == *work_mem=12MB* && $expected == *reader=statement_timeout=5s* ]] || fail "setup: $expected"
  run preloaded psql -X -qtA -d "$src" -c "SELECT current_database()" -c "$settings_of_current_db" -c "SHOW work_mem" -c "SHOW search_path"
  assert_success
  assert_line --index 0 --regexp "^dbclone_"
  assert_line --index 1 "$expected"
  assert_line --index 2 "12MB"
  assert_line --index 3 'app_schema, "$user", "Odd Name", public'
  assert_no_clones
}

@test "database-level grants (and revokes from PUBLIC) are on the clone" {
  src=$(new_source)
  sql postgres "REVOKE ALL ON DATABASE \"$src\" FROM PUBLIC" >/dev/null
  sql postgres "GRANT CONNECT, TEMPORARY ON DATABASE \"$src\" TO reader" >/dev/null
  sql postgres "GRANT CREATE ON DATABASE \"$src\" TO app WITH GRANT OPTION" >/dev/null
  expected=$(sql "$src" "$grants_of_current_db")
  assert_equal "$expected" "app:CREATE:true,reader:CONNECT:false,reader:TEMPORARY:false"
  run preloaded psql -X -qtA -d "$src" -c "SELECT current_database()" -c "$grants_of_current_db" \
    -c "SELECT has_database_privilege('public', current_database(), 'CONNECT')"
  assert_success
  assert_line --index 0 --regexp "^dbclone_"
  assert_line --index 1 "$expected"
  assert_line --index 2 "f"
}

@test "a grant to one role keeps PUBLIC's default CONNECT and TEMPORARY on the clone" {
  src=$(new_source)
  sql postgres "GRANT CONNECT ON DATABASE \"$src\" TO reader" >/dev/null
  expected=$(sql "$src" "$grants_of_current_db")
  [[ $expected == *PUBLIC:CONNECT* ]] || fail "setup: $expected"
  run preloaded psql -X -qtA -d "$src" -c "$grants_of_current_db" \
    -c "SELECT has_database_privilege('public', current_database(), 'CONNECT')"
  assert_success
  assert_line --index 0 "$expected"
  assert_line --index 1 "t"
}

@test "a source with default grants gives a clone with default grants" {
  src=$(new_source)
  run preloaded psql -X -qtA -d "$src" -c "$grants_of_current_db"
  assert_success
  assert_output "default"
}

@test "the clone belongs to the role the program connects as" {
  src=$(new_source)
  sql postgres "ALTER DATABASE \"$src\" OWNER TO app" >/dev/null
  PGUSER=app run preloaded psql -X -qtA -d "$src" -c "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()" -c "SELECT current_database()"
  assert_success
  assert_line --index 0 "app"
  assert_line --index 1 --regexp "^dbclone_"
  assert_no_clones
}

@test "the clone carries a marker comment naming source, host, pid, run and creation time" {
  src=$(new_source)
  run "$DBCLONE" run -- psql -X -qtA -d "$src" -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()"
  assert_success
  assert_line --index 0 --regexp "^dbclone v1 host=$(hostname) pid=[0-9]+ run=$(hostname)-[0-9]+-[0-9]+ created=[0-9]+ source=$src$"
}
