<?php
/* A PHPUnit suite with pdo_pgsql: each test assumes only the run's setup
 * row, and commits a row of its own. */
use PHPUnit\Framework\TestCase;

final class RowsTest extends TestCase
{
    private function pdo(): PDO
    {
        return new PDO("pgsql:host=" . getenv("PGHOST") . ";port=" . getenv("PGPORT") .
                       ";dbname=" . getenv("PGDATABASE"), getenv("PGUSER"));
    }

    /** @dataProvider names */
    public function testRows(string $name): void
    {
        $pdo = $this->pdo();
        $rows = $pdo->query("SELECT name FROM t ORDER BY name")->fetchAll(PDO::FETCH_COLUMN);
        $this->assertSame(["setup"], $rows);
        $pdo->prepare("INSERT INTO t VALUES (?)")->execute([$name]);
    }

    public function names(): array
    {
        return [["one"], ["two"], ["three"]];
    }
}
