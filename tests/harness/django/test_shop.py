"""Ten tests that commit (transactional: no rollback saves them), each
assuming the session's catalogue as it was loaded."""
import pytest

from shop.models import Item

pytestmark = pytest.mark.django_db(transaction=True)


def catalogue():
    return sorted(Item.objects.values_list("name", "qty"))


LOADED = [("gadget", 2), ("gizmo", 9), ("widget", 5)]


@pytest.mark.parametrize("n", range(5))
def test_sell_widgets(n):
    assert catalogue() == LOADED
    Item.objects.filter(name="widget").update(qty=5 - n - 1)


@pytest.mark.parametrize("n", range(5))
def test_add_product(n):
    assert catalogue() == LOADED
    Item.objects.create(name="new-%d" % n, qty=n)
    Item.objects.filter(name="gadget").delete()
