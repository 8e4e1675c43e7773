# A prove test file with DBD::Pg: it assumes only the run's setup row, and
# commits a row of its own.
use strict;
use warnings;
use Test::More tests => 1;
use DBI;

my $dbh = DBI->connect("dbi:Pg:", undef, undef, {RaiseError => 1, AutoCommit => 1});
my $rows = $dbh->selectcol_arrayref("SELECT name FROM t ORDER BY name");
is_deeply($rows, ["setup"], "only the setup's row");
$dbh->do("INSERT INTO t VALUES (?)", undef, "two");
$dbh->disconnect;
