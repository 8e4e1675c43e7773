"""What a user adds to run a Django suite under dbclone: the session loads
its data once (after pytest-django created and migrated the test database),
and each test gets a key of its own, on connections opened under it."""
import os

import pytest
from django.db import connections

ROWS = int(os.environ.get("LEDGER_ROWS", "200"))


def loaded_rows():
    from ledger.models import LedgerItem
    return [LedgerItem(account="acct-%d" % (i % 10), amount=i, memo="loaded")
            for i in range(ROWS)]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from ledger.models import LedgerItem
    with django_db_blocker.unblock():
        LedgerItem.objects.bulk_create(loaded_rows(), batch_size=1000)


# Requested by every test before transactional_db (autouse fixtures come
# first), so that its flush at teardown runs under the test's key, not on
# the setup.
@pytest.fixture(autouse=True)
def dbclone_test_key(request):
    connections.close_all()
    os.environ["DBCLONE_TEST"] = request.node.nodeid
    yield
    connections.close_all()
    del os.environ["DBCLONE_TEST"]
