"""What a PDF may load while it is rendered: the application's own static files only.

WeasyPrint's default fetcher follows any URL it meets (http, ftp, any local file). Our
documents hold user text (escaped), but nothing in one should ever make the server fetch an
address or read a file: images and stylesheets can come only from `data:` URLs and from the
static folders of the application (the apps' `static/` folders and STATIC_ROOT). Anything
else is refused, and WeasyPrint renders without it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from weasyprint.urls import URLFetcher


@functools.cache
def static_roots() -> tuple[Path, ...]:
    roots = {Path(settings.STATIC_ROOT).resolve()}
    for finder in get_finders():
        for storage in getattr(finder, "storages", {}).values():
            location = getattr(storage, "location", None)
            if location:
                roots.add(Path(location).resolve())
    return tuple(sorted(roots))


def allowed(url: str) -> bool:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "data":
        return True
    if scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    path = Path(unquote(parts.path)).resolve()
    return any(path.is_relative_to(root) for root in static_roots())


class StaticFilesFetcher(URLFetcher):
    def fetch(self, url: str, headers: Any = None) -> Any:
        if not allowed(url):
            raise ValueError(f"Adresse refusée dans un PDF : {url[:200]}")
        return super().fetch(url, headers)
