"""The database side of message search: what the migration installs on each backend.

Both backends keep a message's search document up to date by themselves (triggers), so no
write path — the send's bulk insert, a reply, a contact renamed — spends a query on it.

PostgreSQL: a `search_vector tsvector` column on messaging_message (unknown to Django: never
selected, never written by the ORM), filled by triggers with the `french` configuration over
unaccented text (the `unaccent` extension when PostgreSQL has it, else a translate() of the
accented letters), and a GIN index. Everything but letters and digits becomes a space before
the parser sees it: « rendez-vous », « l'appel », « 6,1 » are split into words exactly as
relais.core.fts.tokens splits them for SQLite, so phrases match the same on both.

SQLite: an FTS5 index (external content `messaging_message_search`, one row per message)
whose document is analysed in Python by `relais_search_doc` (relais.core.fts.search_document),
a function every connection registers (relais.messaging.apps).
"""

from __future__ import annotations

from typing import Any

# --- PostgreSQL ----------------------------------------------------------------------------

PG_FOLD_UNACCENT = """
CREATE OR REPLACE FUNCTION relais_search_fold(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT regexp_replace(public.unaccent('public.unaccent'::regdictionary, coalesce(t, '')),
                         '[^[:alnum:]]+', ' ', 'g') $$;
"""

# Without the extension: the accented letters of French, one for one (« œ » stays; the
# French stemmer lower-cases).
PG_FOLD_TRANSLATE = """
CREATE OR REPLACE FUNCTION relais_search_fold(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT regexp_replace(translate(coalesce(t, ''),
    'àâäáãåçéèêëíìîïñóòôöõúùûüýÿÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝ',
    'aaaaaaceeeeiiiinooooouuuuyyAAAAAACEEEEIIIINOOOOOUUUUY'), '[^[:alnum:]]+', ' ', 'g') $$;
"""

# A message's document, from its row: on INSERT (every send) in PL/pgSQL, whose statements keep
# their plans for the session — the SQL function relais_message_search_vector is planned again
# on each call — and without replies (a new message has none).
PG_MESSAGE_ROW = """
CREATE OR REPLACE FUNCTION relais_message_search_row() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    contact_name text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.contact_id IS NOT NULL THEN
            SELECT c.name INTO contact_name FROM clients_contact c WHERE c.id = NEW.contact_id;
        END IF;
        NEW.search_vector := relais_search_text(NEW.subject) || relais_search_text(NEW.body)
            || relais_search_text(contact_name);
    ELSE
        NEW.search_vector := relais_message_search_vector(
            NEW.id, NEW.subject, NEW.body, NEW.contact_id, true);
    END IF;
    RETURN NEW;
END $$;
"""

PG_INSTALL = (
    """
CREATE OR REPLACE FUNCTION relais_search_text(t text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT to_tsvector('pg_catalog.french'::regconfig, relais_search_fold(t)) $$;

CREATE AGGREGATE relais_tsvector_agg(tsvector) (
    SFUNC = tsvector_concat, STYPE = tsvector, INITCOND = ''
);

-- Subject, body, contact name and, when asked, every reply: each part's positions follow the
-- previous part's, so a phrase never spans two parts.
CREATE OR REPLACE FUNCTION relais_message_search_vector(
    m_id uuid, m_subject text, m_body text, m_contact uuid, with_replies boolean
) RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT relais_search_text(m_subject) || relais_search_text(m_body)
        || coalesce((SELECT relais_search_text(c.name) FROM clients_contact c
                     WHERE c.id = m_contact), ''::tsvector)
        || CASE WHEN with_replies THEN
               coalesce((SELECT relais_tsvector_agg(relais_search_text(r.body)
                                                    ORDER BY r.created_at, r.id)
                         FROM messaging_reply r WHERE r.message_id = m_id), ''::tsvector)
           ELSE ''::tsvector END
$$;

ALTER TABLE messaging_message ADD COLUMN search_vector tsvector;

UPDATE messaging_message m
   SET search_vector = relais_message_search_vector(m.id, m.subject, m.body, m.contact_id,
                                                    m.reply_count > 0);

CREATE INDEX msg_search ON messaging_message USING gin (search_vector);

"""
    + "{message_row}"
    + """

CREATE TRIGGER messaging_message_search_insert BEFORE INSERT ON messaging_message
    FOR EACH ROW EXECUTE FUNCTION relais_message_search_row();
CREATE TRIGGER messaging_message_search_update BEFORE UPDATE OF subject, body, contact_id
    ON messaging_message FOR EACH ROW
    WHEN (OLD.subject IS DISTINCT FROM NEW.subject OR OLD.body IS DISTINCT FROM NEW.body
          OR OLD.contact_id IS DISTINCT FROM NEW.contact_id)
    EXECUTE FUNCTION relais_message_search_row();

CREATE OR REPLACE FUNCTION relais_reply_search_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- The common case: append the reply's words, no re-reading of the thread.
        UPDATE messaging_message
           SET search_vector = coalesce(search_vector, ''::tsvector)
                               || relais_search_text(NEW.body)
         WHERE id = NEW.message_id;
    ELSE
        UPDATE messaging_message m
           SET search_vector = relais_message_search_vector(m.id, m.subject, m.body,
                                                            m.contact_id, true)
         WHERE m.id = OLD.message_id
            OR (TG_OP = 'UPDATE' AND m.id = NEW.message_id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER messaging_reply_search AFTER INSERT OR DELETE OR UPDATE OF body, message_id
    ON messaging_reply FOR EACH ROW EXECUTE FUNCTION relais_reply_search_row();

CREATE OR REPLACE FUNCTION relais_contact_search_row() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE messaging_message m
       SET search_vector = relais_message_search_vector(m.id, m.subject, m.body,
                                                        m.contact_id, true)
     WHERE m.contact_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER clients_contact_search AFTER UPDATE OF name ON clients_contact
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION relais_contact_search_row();
"""
)

PG_INSTALL = PG_INSTALL.replace("{message_row}", PG_MESSAGE_ROW.strip())

PG_UNINSTALL = """
DROP TRIGGER IF EXISTS clients_contact_search ON clients_contact;
DROP TRIGGER IF EXISTS messaging_reply_search ON messaging_reply;
DROP TRIGGER IF EXISTS messaging_message_search_update ON messaging_message;
DROP TRIGGER IF EXISTS messaging_message_search_insert ON messaging_message;
DROP FUNCTION IF EXISTS relais_contact_search_row();
DROP FUNCTION IF EXISTS relais_reply_search_row();
DROP FUNCTION IF EXISTS relais_message_search_row();
DROP INDEX IF EXISTS msg_search;
ALTER TABLE messaging_message DROP COLUMN IF EXISTS search_vector;
DROP FUNCTION IF EXISTS relais_message_search_vector(uuid, text, text, uuid, boolean);
DROP AGGREGATE IF EXISTS relais_tsvector_agg(tsvector);
DROP FUNCTION IF EXISTS relais_search_text(text);
DROP FUNCTION IF EXISTS relais_search_fold(text);
"""

# --- SQLite --------------------------------------------------------------------------------

# The document of message row `m` (with contact `c` left-joined or looked up).
_SQLITE_DOC = """relais_search_doc(
    {m}.subject, {m}.body,
    (SELECT c.name FROM clients_contact c WHERE c.id = {m}.contact_id),
    (SELECT group_concat(r.body, char(30)) FROM messaging_reply r WHERE r.message_id = {m}.id)
)"""

SQLITE_INSTALL = [
    """CREATE TABLE messaging_message_search (
        id INTEGER PRIMARY KEY,
        message_id char(32) NOT NULL UNIQUE,
        doc TEXT NOT NULL
    )""",
    """CREATE VIRTUAL TABLE messaging_message_fts USING fts5(
        doc, content='messaging_message_search', content_rowid='id'
    )""",
    # The FTS5 index follows its content table.
    """CREATE TRIGGER messaging_message_search_ai AFTER INSERT ON messaging_message_search BEGIN
        INSERT INTO messaging_message_fts(rowid, doc) VALUES (new.id, new.doc);
    END""",
    """CREATE TRIGGER messaging_message_search_ad AFTER DELETE ON messaging_message_search BEGIN
        INSERT INTO messaging_message_fts(messaging_message_fts, rowid, doc)
            VALUES ('delete', old.id, old.doc);
    END""",
    """CREATE TRIGGER messaging_message_search_au AFTER UPDATE ON messaging_message_search BEGIN
        INSERT INTO messaging_message_fts(messaging_message_fts, rowid, doc)
            VALUES ('delete', old.id, old.doc);
        INSERT INTO messaging_message_fts(rowid, doc) VALUES (new.id, new.doc);
    END""",
    # Messages, replies and contacts keep the content table up to date.
    f"""CREATE TRIGGER messaging_message_fts_insert AFTER INSERT ON messaging_message BEGIN
        INSERT INTO messaging_message_search(message_id, doc)
            VALUES (new.id, {_SQLITE_DOC.format(m="new")});
    END""",
    f"""CREATE TRIGGER messaging_message_fts_update
        AFTER UPDATE OF subject, body, contact_id ON messaging_message
        WHEN old.subject IS NOT new.subject OR old.body IS NOT new.body
             OR old.contact_id IS NOT new.contact_id
    BEGIN
        UPDATE messaging_message_search SET doc = {_SQLITE_DOC.format(m="new")}
            WHERE message_id = new.id;
    END""",
    """CREATE TRIGGER messaging_message_fts_delete AFTER DELETE ON messaging_message BEGIN
        DELETE FROM messaging_message_search WHERE message_id = old.id;
    END""",
    """CREATE TRIGGER messaging_reply_fts_insert AFTER INSERT ON messaging_reply BEGIN
        UPDATE messaging_message_search
           SET doc = doc || ' zzpart ' || relais_search_doc(new.body)
         WHERE message_id = new.message_id;
    END""",
    f"""CREATE TRIGGER messaging_reply_fts_change AFTER UPDATE OF body, message_id
        ON messaging_reply BEGIN
        UPDATE messaging_message_search
           SET doc = (SELECT {_SQLITE_DOC.format(m="m")} FROM messaging_message m
                      WHERE m.id = messaging_message_search.message_id)
         WHERE message_id IN (old.message_id, new.message_id);
    END""",
    f"""CREATE TRIGGER messaging_reply_fts_delete AFTER DELETE ON messaging_reply BEGIN
        UPDATE messaging_message_search
           SET doc = (SELECT {_SQLITE_DOC.format(m="m")} FROM messaging_message m
                      WHERE m.id = messaging_message_search.message_id)
         WHERE message_id = old.message_id;
    END""",
    f"""CREATE TRIGGER clients_contact_fts_rename AFTER UPDATE OF name ON clients_contact
        WHEN old.name IS NOT new.name BEGIN
        UPDATE messaging_message_search
           SET doc = (SELECT {_SQLITE_DOC.format(m="m")} FROM messaging_message m
                      WHERE m.id = messaging_message_search.message_id)
         WHERE message_id IN (SELECT id FROM messaging_message WHERE contact_id = new.id);
    END""",
    f"""INSERT INTO messaging_message_search(message_id, doc)
        SELECT m.id, {_SQLITE_DOC.format(m="m")} FROM messaging_message m""",
]

SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS clients_contact_fts_rename",
    "DROP TRIGGER IF EXISTS messaging_reply_fts_delete",
    "DROP TRIGGER IF EXISTS messaging_reply_fts_change",
    "DROP TRIGGER IF EXISTS messaging_reply_fts_insert",
    "DROP TRIGGER IF EXISTS messaging_message_fts_delete",
    "DROP TRIGGER IF EXISTS messaging_message_fts_update",
    "DROP TRIGGER IF EXISTS messaging_message_fts_insert",
    "DROP TABLE IF EXISTS messaging_message_fts",
    "DROP TABLE IF EXISTS messaging_message_search",
]


def install(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'")
            if cursor.fetchone():
                cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public")
                cursor.execute(PG_FOLD_UNACCENT)
            else:
                cursor.execute(PG_FOLD_TRANSLATE)
            cursor.execute(PG_INSTALL)
        elif connection.vendor == "sqlite":
            for statement in SQLITE_INSTALL:
                cursor.execute(statement)


def message_row_install(apps: Any, schema_editor: Any) -> None:
    """Migration 0009: the INSERT trigger's function in PL/pgSQL (PG_MESSAGE_ROW)."""
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(PG_MESSAGE_ROW)


def uninstall(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_UNINSTALL)
        elif connection.vendor == "sqlite":
            for statement in SQLITE_UNINSTALL:
                cursor.execute(statement)
