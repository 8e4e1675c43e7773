"""Settings of the ledger project: the engine and the servers come from the
environment, as in CI.

LEDGER_ENGINE   pg (PGHOST, PGPORT, PGUSER), mysql (MYSQL_UNIX_PORT, user
                root) or sqlite
LEDGER_DB       pg, mysql: the database the project names; pytest-django
                creates test_<LEDGER_DB> itself
LEDGER_TEST_DB  sqlite: the test database's file, which must exist (the
                run uses it with --reuse-db: Django would delete it first)
"""
import os

SECRET_KEY = "ledger-tests-only"
USE_TZ = True
INSTALLED_APPS = ["ledger"]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

_engine = os.environ.get("LEDGER_ENGINE", "sqlite")
if _engine == "pg":
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["LEDGER_DB"],
        "HOST": os.environ.get("PGHOST", ""),
        "PORT": os.environ.get("PGPORT", ""),
        "USER": os.environ.get("PGUSER", ""),
    }}
elif _engine == "mysql":
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.mysql",
        "NAME": os.environ["LEDGER_DB"],
        "HOST": os.environ["MYSQL_UNIX_PORT"],
        "USER": "root",
    }}
elif _engine == "sqlite":
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["LEDGER_TEST_DB"] + ".main",
        "TEST": {"NAME": os.environ["LEDGER_TEST_DB"]},
    }}
else:
    raise RuntimeError("LEDGER_ENGINE must be pg, mysql or sqlite, not %r" % _engine)
