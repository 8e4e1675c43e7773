# A second step, as real projects have: a column and an index added later.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [
        migrations.AddField("ledgeritem", "memo", models.CharField(max_length=200, default="")),
        migrations.AddIndex("ledgeritem", models.Index(fields=["account"], name="ledger_item_account")),
    ]
