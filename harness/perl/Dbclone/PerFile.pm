package Dbclone::PerFile;
# dbclone's helper for prove: every test file (one perl process each) gets
# a clone of its own (DBCLONE_TEST = the file), with no change to the
# suite. Load it into every perl of the run with PERL5OPT:
#
#   dbclone run -- sh -c 'PERL5LIB=$DBCLONE_HARNESS/perl PERL5OPT=-MDbclone::PerFile prove t/'
#
# prove itself, and perl programs that are not test files (*.t), are left
# alone; a DBCLONE_TEST already set is kept. Perl's %ENV sets the
# process's environment, which the library reads at every connect.
use strict;
use warnings;

$ENV{DBCLONE_TEST} = $0 if $0 =~ /\.t\z/ && !$ENV{DBCLONE_TEST};

1;
