# A Minitest suite with ruby-pg that knows nothing of dbclone: each test
# assumes only the run's setup row, and commits a row of its own.
require "minitest/autorun"
require "pg"

class RowsTest < Minitest::Test
  def rows
    conn = PG.connect("")
    conn.exec("SELECT name FROM t ORDER BY name").map { |r| r["name"] }
  ensure
    conn&.close
  end

  def insert(name)
    conn = PG.connect("")
    conn.exec_params("INSERT INTO t VALUES ($1)", [name])
  ensure
    conn&.close
  end

  %w[one two three].each do |n|
    define_method("test_#{n}") do
      assert_equal ["setup"], rows
      insert(n)
    end
  end
end
