import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def _load_urls() -> None:
    """The URLconf (and with it the API's schemas) is imported here, once, rather than by each
    worker's first request: gunicorn loads this module before it forks (preload_app), so every
    worker, and every worker that replaces one, starts with it in memory, shared."""
    from django.conf import settings
    from django.conf.urls.i18n import is_language_prefix_patterns_used
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018
    is_language_prefix_patterns_used(settings.ROOT_URLCONF)


_load_urls()
