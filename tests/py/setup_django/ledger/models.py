from django.db import models


class LedgerItem(models.Model):
    account = models.CharField(max_length=40)
    amount = models.IntegerField()
    memo = models.CharField(max_length=200, default="")

    class Meta:
        db_table = "ledger_item"
