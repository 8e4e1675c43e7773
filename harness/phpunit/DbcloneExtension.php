<?php
/* dbclone's PHPUnit extension (PHPUnit 9): every test gets a clone of its
 * own (DBCLONE_TEST = "Class::method"), named in phpunit.xml:
 *
 *   <extensions>
 *     <extension class="DbcloneExtension"
 *                file="/usr/local/lib/dbclone/harness/phpunit/DbcloneExtension.php"/>
 *   </extensions>
 *
 * putenv() sets the process's environment, which the library reads at
 * every connect. A PDO kept across tests (a static) stays in the first
 * test's clone: make it per test. */

use PHPUnit\Runner\AfterLastTestHook;
use PHPUnit\Runner\BeforeTestHook;

final class DbcloneExtension implements BeforeTestHook, AfterLastTestHook
{
    public function executeBeforeTest(string $test): void
    {
        putenv("DBCLONE_TEST=" . $test);
    }

    public function executeAfterLastTest(): void
    {
        putenv("DBCLONE_TEST");
    }
}
