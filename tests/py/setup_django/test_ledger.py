"""Ten tests that commit (transactional_db: autocommit, no rollback to hide
behind), each starting from the session's data and changing it its own way.
Each checks the data as loaded, and that no other test's write is there.

LEDGER_TRACE, when set, names a file that gets one line per test: the
test's name and the database it ran in."""
import os

import pytest
from django.db import connection
from django.db.models import Sum

from conftest import ROWS
from ledger.models import LedgerItem


def database_in_use():
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT current_database()")
            return cur.fetchone()[0]
        if connection.vendor == "mysql":
            cur.execute("SELECT DATABASE()")
            return cur.fetchone()[0]
        cur.execute("PRAGMA database_list")
        return os.path.basename(cur.fetchone()[2])


def assert_as_loaded():
    assert LedgerItem.objects.count() == ROWS
    assert LedgerItem.objects.aggregate(s=Sum("amount"))["s"] == ROWS * (ROWS - 1) // 2
    assert list(LedgerItem.objects.exclude(memo="loaded").values_list("memo", flat=True)) == []


@pytest.mark.parametrize("n", range(10))
def test_starts_from_the_loaded_ledger(n, transactional_db):
    trace = os.environ.get("LEDGER_TRACE")
    if trace:
        with open(trace, "a") as f:
            f.write("%s %s\n" % (os.environ["DBCLONE_TEST"], database_in_use()))
    assert_as_loaded()
    mine = "acct-%d" % n
    if n % 3 == 0:
        LedgerItem.objects.create(account=mine, amount=1000 + n, memo="added by test %d" % n)
        assert LedgerItem.objects.count() == ROWS + 1
    elif n % 3 == 1:
        LedgerItem.objects.filter(account=mine).update(amount=-1, memo="changed by test %d" % n)
        assert LedgerItem.objects.filter(amount=-1).count() == ROWS // 10
    else:
        LedgerItem.objects.filter(account=mine).delete()
        LedgerItem.objects.create(account=mine, amount=0, memo="left by test %d" % n)
        assert LedgerItem.objects.count() == ROWS - ROWS // 10 + 1
