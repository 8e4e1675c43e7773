"""Django's own test classes under the plugin: a TestCase (its
class-level transaction stays open, its tests isolated by savepoints) and
a TransactionTestCase (it commits, and flushes after each test)."""
from django.test import TestCase, TransactionTestCase

from shop.models import Item


class CatalogueTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        Item.objects.create(name="class-row", qty=1)

    def test_sees_class_data(self):
        self.assertEqual(Item.objects.count(), 4)
        Item.objects.all().delete()

    def test_sees_class_data_again(self):
        self.assertEqual(Item.objects.count(), 4)
        Item.objects.create(name="other", qty=3)


class CatalogueTransactionTestCase(TransactionTestCase):
    def test_commits(self):
        self.assertEqual(Item.objects.count(), 3)
        Item.objects.create(name="committed", qty=1)

    def test_commits_again(self):
        self.assertEqual(Item.objects.count(), 3)
        Item.objects.create(name="committed", qty=1)
