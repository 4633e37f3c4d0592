"""The message search document on INSERT computed in PL/pgSQL (cached plans): a send costs
about 0.3 ms less of PostgreSQL (relais.messaging.search_sql.PG_MESSAGE_ROW)."""

from django.db import migrations

from relais.messaging import search_sql


class Migration(migrations.Migration):

    dependencies = [("messaging", "0008_message_search")]

    operations = [migrations.RunPython(search_sql.message_row_install, migrations.RunPython.noop)]
