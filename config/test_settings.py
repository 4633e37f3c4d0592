"""Test overrides on top of the one settings module."""

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Deliveries are enqueued on commit; tests run the worker explicitly.
TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
LANGUAGE_CODE = "fr"
