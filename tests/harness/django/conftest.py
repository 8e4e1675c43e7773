import pytest

from shop.models import Item


# The catalogue every test assumes, loaded once per session.
@pytest.fixture(scope="session", autouse=True)
def catalogue(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        Item.objects.bulk_create([Item(name="widget", qty=5),
                                  Item(name="gadget", qty=2),
                                  Item(name="gizmo", qty=9)])
