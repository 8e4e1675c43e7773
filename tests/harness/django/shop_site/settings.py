"""A pytest-django project as a user writes it: it knows nothing of dbclone.

SHOP_ENGINE  pg (PGHOST, PGPORT, PGUSER), mysql (MYSQL_UNIX_PORT, root) or
             sqlite
SHOP_DB      pg, mysql: the project's database (pytest-django creates and
             migrates test_<SHOP_DB>); sqlite: the test database's file
"""
import os

SECRET_KEY = "shop-tests-only"
USE_TZ = True
INSTALLED_APPS = ["shop"]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

_engine = os.environ.get("SHOP_ENGINE", "sqlite")
if _engine == "pg":
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["SHOP_DB"],
        "HOST": os.environ.get("PGHOST", ""),
        "PORT": os.environ.get("PGPORT", ""),
        "USER": os.environ.get("PGUSER", ""),
    }}
elif _engine == "mysql":
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.mysql",
        "NAME": os.environ["SHOP_DB"],
        "HOST": os.environ["MYSQL_UNIX_PORT"],
        "USER": "root",
    }}
else:
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["SHOP_DB"] + ".main",
        "TEST": {"NAME": os.environ["SHOP_DB"]},
    }}
