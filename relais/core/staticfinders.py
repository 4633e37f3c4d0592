"""Django's static file finders, answering "not found" to a path that leaves their folders.

The development server (and the test live server) serve /static/ through the finders: a path
such as `/static/%2e%2e/config/settings.py` made them raise SuspiciousFileOperation, which
the static handler does not catch (a 500). Such a path names no static file: 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation


class FileSystemFinder(finders.FileSystemFinder):
    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        try:
            return super().find(path, find_all=find_all, **kwargs)  # type: ignore[call-overload]
        except SuspiciousFileOperation:
            return []  # what Django's finders answer when nothing matches


class AppDirectoriesFinder(finders.AppDirectoriesFinder):
    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        try:
            return super().find(path, find_all=find_all, **kwargs)  # type: ignore[call-overload]
        except SuspiciousFileOperation:
            return []  # what Django's finders answer when nothing matches
