"""Test overrides on top of the one settings module."""

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Deliveries are enqueued on commit; tests run the worker explicitly.
TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
LANGUAGE_CODE = "fr"

# --- delivery ---
# Copies go to the in-memory twins unless a test points a channel at a real server.
RELAIS_EMAIL_BACKEND = "memory"
RELAIS_SMS_BACKEND = "memory"
RELAIS_FAX_BACKEND = "memory"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file (not :memory:) so the delivery tests can run a worker as a separate process
    # against the test database; one per test session, so parallel sessions never collide.
    import tempfile as _tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(_tempfile.gettempdir(), f"relais-test-{os.getpid()}.sqlite3")  # noqa: F405
    }
# --- end delivery ---

# --- replies taken in ---
# Attachments and raw e-mails of the tests go to a throw-away folder.
import tempfile as _media_tmp  # noqa: E402

MEDIA_ROOT = os.path.join(_media_tmp.gettempdir(), f"relais-media-{os.getpid()}")  # noqa: F405
ANYMAIL = {"WEBHOOK_SECRET": "relais-test:inbound-secret"}
# --- end replies taken in ---
