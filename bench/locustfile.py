"""The operators' load on the staff pages, for locust (run by bench/load_test.py).

Each simulated operator logs in as one of the bench staff users (spread over them), then loops
over what an operator does, with the browser's own requests (htmx fragments carry
`HX-Request`, forms post their CSRF token, the composer its idempotency key):

    open a client file (weighted towards busy clients)       40 %   GET /clients/<id>/
    send a message from that file's composer                  20 %   GET …/ecrire/ (fragment),
                                                                     GET …/contacts/?mode=pick
                                                                     (7 in 10), POST …/messages/
    reply to a thread of that file                            10 %   GET /messages/<id>/,
                                                                     POST …/repondre/
    the left menu's counts poll                               25 %   GET /menu/compteurs/
    a task list: « Tâche à faire » or the Suivi popup          5 %   GET /taches/, /taches/suivi/

Think time: 0.5–2 s after each action (1.25 s on average, RELAIS_LOAD_THINK="min-max"). That
pace is set by the polling: a real browser polls the counts every 5 s, so with polls a quarter
of the actions each operator acts every 1.25 s; the polling load is then exactly the real
one (50 operators: 10 polls/s) and every other action is far more frequent than a person on
the telephone makes it (a call takes a minute or two), so the pages are stressed, not modelled.

Behind the TLS proxy every request carries `X-Forwarded-Proto: https`; the application's
cookies are then `Secure`, which a plain-HTTP client never sends back: each operator keeps
them as its browser does and sends them with every request. POSTs carry the
`Origin`/`Referer` an HTTPS browser sends, which Django's CSRF check requires over HTTPS.

Input (environment, written by load_test.py): RELAIS_LOAD_DATA, a JSON file
`{"staff": [e-mail, …], "password": …, "clients": [[id, weight], …]}`; RELAIS_LOAD_RUN, a
tag put in every message and reply written, so the runner can match the answers with the rows;
RELAIS_LOAD_SAMPLES, where every request's outcome is written at the end (name, ms, ok, start,
status) with the tags acknowledged.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from html import unescape
from html.parser import HTMLParser
from typing import Any

from locust import HttpUser, between, events, task
from locust.exception import StopUser

DATA: dict[str, Any] = {}
if os.environ.get("RELAIS_LOAD_DATA"):
    with open(os.environ["RELAIS_LOAD_DATA"], encoding="utf-8") as fh:
        DATA = json.load(fh)
RUN = os.environ.get("RELAIS_LOAD_RUN", "manual")
SAMPLES_PATH = os.environ.get("RELAIS_LOAD_SAMPLES", "")


def _think_bounds() -> tuple[float, float]:
    low, _, high = os.environ.get("RELAIS_LOAD_THINK", "0.5-2.0").partition("-")
    return float(low), float(high or low)


THINK_MIN, THINK_MAX = _think_bounds()
TIMEOUT = 30  # seconds; gunicorn's own worker timeout

# Pages the operators write about (the composer's subject is one of them; the body is typed).
SUBJECTS = [
    "Rappel patient",
    "Demande de rendez-vous",
    "Annulation de rendez-vous",
    "Demande de devis",
    "Renouvellement d'ordonnance",
    "Livraison",
]
SEARCHES = ["mor", "dur", "ber", "lop", "vid", "car", "bon", "fab", "per", "gar", "lé", "ché"]

# Every request's outcome, and the tags of the messages and replies the server acknowledged.
SAMPLES: list[tuple[str, float, bool, float, int]] = []
ACKED: dict[str, list[str]] = {
    "sent": [],
    "replied": [],
    "attempted_send": [],
    "attempted_reply": [],
    "logged_in": [],
}


@events.request.add_listener
def _record(
    request_type: str,
    name: str,
    response_time: float,
    response_length: int,
    response: Any = None,
    context: Any = None,
    exception: Any = None,
    start_time: float | None = None,
    **kwargs: Any,
) -> None:
    status = getattr(response, "status_code", 0) or 0
    SAMPLES.append((name, response_time, exception is None, start_time or time.time(), status))


@events.quitting.add_listener
def _write_samples(environment: Any, **kwargs: Any) -> None:
    if not SAMPLES_PATH:
        return
    with open(SAMPLES_PATH, "w", encoding="utf-8") as out:
        json.dump({"run": RUN, "samples": SAMPLES, **ACKED}, out)


class FormValues(HTMLParser):
    """What a browser would post for one form: its enabled inputs, checked boxes, selected
    options and textareas (submit buttons left out: the caller adds the one it clicks)."""

    def __init__(self, form: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form = form
        self.inside = False
        self.values: list[tuple[str, str]] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form" and self.form in (a.get("id"), a.get("action")):
            self.inside = True
            return
        if not self.inside or "disabled" in a:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self.values.append((name, a.get("value") or "on"))
                return
            self.values.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select is not None:
            if self._select_first is None:
                self._select_first = a.get("value", "")
            if "selected" in a and not self._select_chosen:
                self.values.append((self._select, a.get("value", "")))
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag: str) -> None:
        if not self.inside:
            return
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            if not self._select_chosen and self._select_first is not None:
                self.values.append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.values.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)


def form_values(html: str, form: str) -> list[tuple[str, str]]:
    """The values of the form whose id or action is `form`."""
    parser = FormValues(form)
    parser.feed(html)
    return parser.values


def with_values(values: list[tuple[str, str]], **changes: str) -> list[tuple[str, str]]:
    """values with each named field set to one value (added when missing)."""
    kept = [(k, v) for k, v in values if k not in changes]
    return kept + list(changes.items())


THREAD_LINK = re.compile(r'href="(/messages/[0-9a-f-]{36}/)"')
MENU_POLL = re.compile(r'id="menu-counts"[^>]*?hx-get="([^"]+)"')
PICKED = re.compile(r'data-pick-contact data-id="([^"]+)" data-name="([^"]*)"')
CSRF_META = re.compile(r'"X-CSRFToken": "([^"]+)"')


class Operator(HttpUser):
    """One operator at a staff desk."""

    wait_time = between(THINK_MIN, THINK_MAX)
    _numbers = itertools.count()

    def on_start(self) -> None:
        self.number = next(Operator._numbers)
        staff = DATA.get("staff") or []
        if not staff:
            raise RuntimeError("RELAIS_LOAD_DATA lists no staff user")
        self.email = staff[self.number % len(staff)]
        clients = DATA.get("clients") or []
        self.client_ids = [c[0] for c in clients]
        self.client_weights = [c[1] for c in clients]
        self.rng = random.Random(f"{RUN}-{self.number}")
        self.seq = 0
        self.origin = (self.host or "").replace("http://", "https://", 1).rstrip("/")
        self.client.headers.update({"X-Forwarded-Proto": "https"})
        self.page = ""  # the page the operator is on (path)
        self.file_client = ""  # the client file open, if any
        self.file_threads: list[str] = []
        self.csrf = ""
        self.poll_url = "/menu/compteurs/"
        self.login()

    # -- plumbing ------------------------------------------------------------------------

    def _get(
        self, path: str, name: str, *, htmx: bool = False, target: str = ""
    ) -> tuple[bool, str]:
        return self._request("GET", path, name, htmx=htmx, target=target)

    def _post(
        self,
        path: str,
        name: str,
        data: list[tuple[str, str]],
        *,
        htmx: bool,
        target: str = "",
        expect: int = 200,
        check: Any = None,
    ) -> bool:
        ok, _ = self._request(
            "POST", path, name, data=data, htmx=htmx, target=target, expect=expect, check=check
        )
        return ok

    def _request(
        self,
        method: str,
        path: str,
        name: str,
        *,
        data: list[tuple[str, str]] | None = None,
        htmx: bool,
        target: str,
        expect: int = 200,
        check: Any = None,
    ) -> tuple[bool, str]:
        """One request as the browser makes it from the current page: its Referer, and for a
        POST the Origin (Django's CSRF check over HTTPS); htmx's headers (with the CSRF token
        for a POST). A failure is any status but `expect`, or `check` saying no."""
        headers = {"Referer": self.origin + (self.page or "/")}
        if method == "POST":
            headers["Origin"] = self.origin
        if htmx:
            headers.update({"HX-Request": "true", "HX-Current-URL": self.origin + self.page})
            if method == "POST":
                headers["X-CSRFToken"] = self.csrf
            if target:
                headers["HX-Target"] = target
        with self.client.request(
            method,
            path,
            name=name,
            data=data,
            headers=headers,
            allow_redirects=False,
            timeout=TIMEOUT,
            catch_response=True,
        ) as response:
            self._keep_cookies()
            if response.status_code != expect:
                response.failure(f"HTTP {response.status_code}")
                return False, ""
            if check is not None and not check(response):
                response.failure("unexpected answer")
                return False, ""
            response.success()
            return True, response.text

    def _keep_cookies(self) -> None:
        """The application's cookies are Secure (the browser sees the site over HTTPS, through
        the TLS proxy); this client speaks plain HTTP to the proxy's side, where a cookie jar
        would never send them back. Kept as the browser keeps them."""
        for cookie in self.client.cookies:
            cookie.secure = False

    def _on_page(self, path: str, html: str) -> None:
        """A full page was loaded: its CSRF token and its menu poll become the current ones."""
        self.page = path
        token = CSRF_META.search(html)
        if token:
            self.csrf = token.group(1)
        poll = MENU_POLL.search(html)
        if poll:
            self.poll_url = unescape(poll.group(1))

    def tag(self) -> str:
        self.seq += 1
        return f"{RUN}-{self.number}-{self.seq}"

    # -- login ---------------------------------------------------------------------------

    def login(self) -> None:
        """The login form, as a person fills it; tried again 5 s later (three times in all)
        when the server does not let them in, each failure counted as an error."""
        for attempt in range(3):
            if attempt:
                time.sleep(5)
            if self._login_once():
                ACKED["logged_in"].append(self.email)
                ok, html = self._get("/", "login: home")
                if ok:
                    self._on_page("/", html)
                return
        raise StopUser()  # the operator stays out: the report counts who got in

    def _login_once(self) -> bool:
        ok, html = self._get("/connexion/", "login: page")
        if not ok:
            return False
        self.page = "/connexion/"
        values = with_values(
            form_values(html, "/connexion/"),
            username=self.email,
            password=DATA.get("password", "relais-bench"),
        )
        return self._post(
            "/connexion/",
            "login: POST",
            values,
            htmx=False,
            expect=302,
            check=lambda r: not r.headers.get("Location", "").startswith("/connexion"),
        )

    # -- the operator's actions ----------------------------------------------------------

    def pick_client(self) -> str:
        return self.rng.choices(self.client_ids, weights=self.client_weights, k=1)[0]

    @task(40)
    def open_client_file(self) -> None:
        client = self.pick_client()
        path = f"/clients/{client}/"
        ok, html = self._get(path, "client file")
        if ok:
            self._on_page(path, html)
            self.file_client = client
            self.file_threads = THREAD_LINK.findall(html)

    @task(20)
    def send(self) -> None:
        if not self.file_client:
            self.open_client_file()
            if not self.file_client:
                return
        client = self.file_client
        ok, html = self._get(
            f"/clients/{client}/ecrire/", "send: composer", htmx=True, target="composer-body"
        )
        if not ok:
            return
        values = form_values(html, "composer-form")
        contact: dict[str, str] = {}
        if self.rng.random() < 0.7:
            # The contact picker: a few letters typed, the first match clicked.
            q = self.rng.choice(SEARCHES)
            ok, found = self._get(
                f"/clients/{client}/contacts/?mode=pick&q={q}",
                "send: contact search",
                htmx=True,
                target="contact-results",
            )
            match = PICKED.search(found) if ok else None
            if match:
                contact = {"contact": match.group(1), "contact_name": unescape(match.group(2))}
        tag = self.tag()
        subject = self.rng.choice(SUBJECTS)
        body = (
            f"{subject} : la personne a appelé et souhaite être rappelée dans la journée.\n"
            f"Disponible après 17h. Réf. {tag}"
        )
        flags = {}
        if self.rng.random() < 0.2:
            flags["is_task"] = "on"
        if self.rng.random() < 0.05:
            flags["is_urgent"] = "on"
        data = with_values(values, subject=subject, body=body, **contact, **flags)
        ACKED["attempted_send"].append(tag)
        if self._post(
            f"/clients/{client}/messages/",
            "send: POST",
            data,
            htmx=True,
            target="composer-body",
            check=lambda r: "relais:sent" in r.headers.get("HX-Trigger", ""),
        ):
            ACKED["sent"].append(tag)

    @task(10)
    def reply(self) -> None:
        if not self.file_threads:
            self.open_client_file()
            if not self.file_threads:
                return
        path = self.rng.choice(self.file_threads)
        ok, html = self._get(path, "reply: thread")
        if not ok:
            return
        self._on_page(path, html)
        tag = self.tag()
        values = form_values(html, "reply-form")
        data = with_values(values, body=f"Rappelé, message laissé. Réf. {tag}", make_task="0")
        ACKED["attempted_reply"].append(tag)
        if self._post(
            f"{path}repondre/",
            "reply: POST",
            data,
            htmx=True,
            target="thread-detail",
            check=lambda r: 'id="thread-detail"' in r.text,
        ):
            ACKED["replied"].append(tag)

    @task(25)
    def poll_counts(self) -> None:
        self._get(self.poll_url, "counts poll", htmx=True, target="menu-counts")

    @task(5)
    def task_lists(self) -> None:
        if self.rng.random() < 0.5:
            ok, html = self._get("/taches/", "tasks: Tâche à faire")
            if ok:
                self._on_page("/taches/", html)
        else:
            self._get("/taches/suivi/", "tasks: Suivi popup", htmx=True, target="panel-body")
