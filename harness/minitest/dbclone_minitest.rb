# dbclone's Minitest helper: every test gets a clone of its own
# (DBCLONE_TEST = "Class#test_name"), with no change to the suite. Load it
# with Ruby's -r before the suite, under dbclone run:
#
#   dbclone run -- sh -c 'RUBYOPT="-r$DBCLONE_HARNESS/minitest/dbclone_minitest" rake test'
#
# Ruby's ENV sets the process's environment, which the library reads at
# every connect. A connection kept across tests (a global, a pool) stays in
# the first test's clone: open it per test, or close it in teardown.
require "minitest"

module DbcloneTestKey
  def before_setup
    ENV["DBCLONE_TEST"] = "#{self.class.name}##{name}"
    super
  end
end

Minitest::Test.prepend(DbcloneTestKey)
