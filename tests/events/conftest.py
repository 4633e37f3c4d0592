"""The stream tests drive the async views in an event loop of their own: Django's async-safety
checks stay on for them, even when the browser tests' set-up turned them off for the session."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def async_safety(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
