"""The stream tests drive the async views in an event loop of their own, in a thread of their
own (tests.events.helpers.run): Django's async-safety checks are on inside it, even when the
browser tests' set-up turned them off for the session (their fixtures still run in the main
thread, where a Playwright loop may be running)."""
