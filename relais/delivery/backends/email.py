"""E-mail copies through Django's mail framework.

Whatever EMAIL_BACKEND is configured carries them: Django's SMTP backend (EMAIL_HOST, EMAIL_PORT,
user, password, TLS from the environment) or any django-anymail provider, which is just another
EMAIL_BACKEND. One connection serves a whole batch.
"""

from __future__ import annotations

import base64
import contextlib
import email.errors
import email.message
import functools
import re
import smtplib
import socket
import uuid
from email.header import Header
from email.utils import formatdate
from typing import Any

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPEmailBackend
from django.core.mail.message import sanitize_address
from django.utils.encoding import force_str

from relais.delivery.backends.base import (
    Backend,
    DeliveryError,
    OutgoingCopy,
    SendResult,
    check_email_address,
    permanent,
    temporary,
)


def _smtp_text(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()[:200]


def classify_mail_error(exc: BaseException) -> DeliveryError:
    """SMTP 5xx (and an API's 4xx) are final; 4xx, network trouble and configuration errors are
    retried. Anymail's errors are recognised by their shape, without importing it."""
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()), (550, b""))
        if code >= 500:
            return permanent(
                f"Adresse refusée par le serveur de messagerie ({_smtp_text(code, text)})."
            )
        return temporary(f"Adresse momentanément refusée ({_smtp_text(code, text)}).")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return temporary(
            "Le serveur de messagerie refuse l'identifiant ou le mot de passe "
            f"({_smtp_text(exc.smtp_code, exc.smtp_error)}) : vérifiez EMAIL_HOST_USER."
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = _smtp_text(exc.smtp_code, exc.smtp_error)
        if exc.smtp_code >= 500:
            return permanent(f"Message refusé par le serveur de messagerie ({detail}).")
        return temporary(f"Serveur de messagerie momentanément indisponible ({detail}).")
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return temporary(
            "Le serveur de messagerie ne répond pas (délai dépassé).",
            backend_down=True,
            in_doubt=True,
        )
    if isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError)):
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return temporary(f"Serveur de messagerie injoignable ({detail})."[:300], backend_down=True)
    if isinstance(exc, (BadHeaderError, email.errors.MessageError, ValueError)):
        # The e-mail library refuses what the copy holds (a line break in a header, text it
        # cannot encode): sending it again would fail the same way.
        return permanent(f"E-mail impossible à écrire ({type(exc).__name__} : {exc})."[:300])
    name = type(exc).__name__
    if name == "AnymailRecipientsRefused":
        return permanent(f"Adresse refusée par le fournisseur d'e-mail ({exc}).")
    status = getattr(exc, "status_code", None)
    if name.startswith("Anymail") and isinstance(status, int):
        if 400 <= status < 500 and status != 429:
            return permanent(f"Message refusé par le fournisseur d'e-mail ({status} : {exc}).")
        return temporary(f"Fournisseur d'e-mail indisponible ({status} : {exc}).")
    return temporary(f"Erreur d'envoi de l'e-mail ({name} : {exc})."[:300])


def encode_subject(subject: str) -> str:
    """RFC 2047 encoded words of at most 39 UTF-8 bytes (so every line stays under 78
    characters), folded between words. Django 5.2's legacy encoder folds a long Subject after an
    empty first line, which readers then show with a leading space."""
    words, chunk = [], b""
    for char in subject:
        data = char.encode()
        if len(chunk) + len(data) > 39:
            words.append(chunk)
            chunk = b""
        chunk += data
    words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w).decode()}?=" for w in words if w)


class _WrittenAsIs:
    """A header value the legacy (compat32) generator writes as it is, instead of re-folding it
    through email.header.Header: already encoded and folded, or short plain ASCII."""

    def __init__(self, value: str, encoded: str) -> None:
        self.value = value
        self.encoded = encoded

    def encode(self, linesep: str = "\n", maxlinelen: int | None = None, **kwargs: Any) -> str:
        return self.encoded.replace("\r\n", linesep)

    def __str__(self) -> str:
        return self.value


class CopyEmail(EmailMultiAlternatives):
    """Django's e-mail, with two changes to how its bytes are written (Django 5.2 builds them
    with Python's legacy e-mail classes): a non-ASCII Subject is encoded without the leading
    fold that makes readers show it with a leading space, and the MIME boundary and short ASCII
    headers are written as they are, which halves the cost of writing a copy."""

    def message(self, **kwargs: Any) -> Any:
        subject = str(self.subject)
        if "\n" in subject or "\r" in subject:
            # Django's check, which the encoding below would otherwise skip.
            raise BadHeaderError(
                f"Header values can't contain newlines (got {subject!r} for header 'Subject')"
            )
        if subject.isascii():
            msg = super().message(**kwargs)
        else:
            # Django would encode it through email.header.Header, a third of the time of
            # writing the copy, only for it to be replaced here.
            self.subject = ""
            try:
                msg = super().message(**kwargs)
            finally:
                self.subject = subject
            del msg["Subject"]
            email.message.Message.__setitem__(
                msg, "Subject", _WrittenAsIs(subject, encode_subject(subject))
            )
        for part in msg.walk():
            if part.is_multipart() and part.get_boundary() is None:
                part.set_boundary(f"=_relais_{uuid.uuid4().hex}")
            # The legacy Message keeps its headers in this list, in order.
            part._headers = [  # type: ignore[attr-defined]
                (name, _WrittenAsIs(value, value))
                if isinstance(value, str) and value.isascii() and len(name) + len(value) < 76
                else (name, value)
                for name, value in part._headers  # type: ignore[attr-defined]
            ]
        return msg

    def wire_bytes(self) -> bytes | None:
        """What message().as_bytes(linesep="\\r\\n") writes, for the copies' usual shape (a
        text part and an HTML alternative, short ASCII headers, lines SMTP takes as they are),
        written directly: Python's e-mail classes took a third of the worker's time per copy.
        None for any other shape (attachments, long or non-ASCII headers, long lines): then
        message() writes it. tests/delivery/test_email_smtp.py checks both give the same
        bytes."""
        if (
            self.attachments
            or not self.to
            or self.cc
            or not self.body
            or len(self.alternatives) != 1
            or self.alternatives[0][1] != "text/html"
            or self.content_subtype != "plain"
            or getattr(self, "alternative_subtype", "alternative") != "alternative"
            or (self.encoding or settings.DEFAULT_CHARSET) != "utf-8"
        ):
            return None
        text = _text_part(str(self.body), "plain")
        html = _text_part(str(self.alternatives[0][0]), "html")
        if text is None or html is None:
            return None
        extra = self.extra_headers
        lowered = {name.lower() for name in extra}
        if "message-id" not in lowered:
            return None  # Django makes one up from the host name: left to it
        subject = force_str(self.subject)
        if _NEWLINE.search(subject):
            return None  # refused by message()
        if subject.isascii():
            # Django passes an ASCII subject through Header (which may fold it).
            first: list[tuple[str, str]] = [("Subject", str(Header(subject).encode()))]
            last: list[tuple[str, str]] = []
        else:
            first, last = [], [("Subject", encode_subject(subject))]
        headers = [
            *first,
            ("From", extra.get("From", self.from_email)),
            ("To", extra.get("To", ", ".join(str(v) for v in self.to))),
        ]
        if self.reply_to:
            headers.append(("Reply-To", extra.get("Reply-To", ", ".join(self.reply_to))))
        if "date" not in lowered:
            headers.append(("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)))
        headers += [
            (name, value)
            for name, value in extra.items()
            if name.lower() not in {"from", "to", "cc", "reply-to"}
        ]
        lines = []
        for name, value in headers:
            value = str(value)
            if not (value.isascii() and len(name) + len(value) < 76) or _NEWLINE.search(value):
                return None  # folded, encoded or refused (BadHeaderError) by message()
            lines.append(f"{name}: {value}\r\n")
        lines += [f"{name}: {value}\r\n" for name, value in last]
        boundary = f"=_relais_{uuid.uuid4().hex}"
        head = (
            f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n'
            f"MIME-Version: 1.0\r\n{''.join(lines)}\r\n--{boundary}\r\n"
        )
        return b"".join(
            [
                head.encode("ascii"),
                text,
                f"\r\n--{boundary}\r\n".encode("ascii"),
                html,
                f"\r\n--{boundary}--\r\n".encode("ascii"),
            ]
        )


_NEWLINE = re.compile(r"\r\n|\r|\n")  # how email.generator splits lines


def _text_part(content: str, subtype: str) -> bytes | None:
    """A text/* part as Django's SafeMIMEText writes it in UTF-8: 8bit (7bit when ASCII), lines
    as they are. None when Django would use quoted-printable (a line over 998 bytes) or the
    text cannot be written as UTF-8."""
    try:
        if any(len(line.encode()) > 998 for line in content.splitlines()):
            return None
        body = "\r\n".join(_NEWLINE.split(content)).encode()
    except UnicodeEncodeError:
        return None
    encoding = "7bit" if content.isascii() else "8bit"
    head = (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\nMIME-Version: 1.0\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    )
    return head.encode("ascii") + body


@functools.lru_cache(maxsize=4096)
def _sanitized_address(address: str, encoding: str) -> str:
    return str(sanitize_address(address, encoding))


class CopySMTPConnection(SMTPEmailBackend):
    """Django's SMTP backend, used for the copies when EMAIL_BACKEND is that backend: the same
    session and the same bytes, with the envelope addresses' sanitize_address (a pure function
    of the address, which parses it through the e-mail header parser each time: as costly as
    writing the rest of the copy) remembered. The sender is the same for every copy of a
    permanence, and the same recipients come back."""

    def _send(self, email_message: Any) -> bool:
        # Django's _send (5.2), with _sanitized_address for sanitize_address.
        if not email_message.recipients():
            return False
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        from_email = _sanitized_address(email_message.from_email, encoding)
        recipients = [_sanitized_address(a, encoding) for a in email_message.recipients()]
        data = email_message.wire_bytes() if isinstance(email_message, CopyEmail) else None
        if data is None:
            data = email_message.message().as_bytes(linesep="\r\n")
        assert self.connection is not None  # opened by send_messages()
        try:
            self.connection.sendmail(from_email, recipients, data)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True


DJANGO_SMTP = "django.core.mail.backends.smtp.EmailBackend"


class DjangoMailBackend(Backend):
    """E-mail copies, multipart text + HTML, with the copy's headers (Message-ID, Reply-To)."""

    name = "smtp"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.connection: Any = None

    def open(self) -> None:
        self.connection = None

    def close(self) -> None:
        if self.connection is not None:
            # Closing a broken connection must not fail a batch.
            with contextlib.suppress(Exception):
                self.connection.close()
        self.connection = None

    def _connection(self) -> Any:
        if self.connection is None:
            path = self.options.get("email_backend") or settings.EMAIL_BACKEND
            if path == DJANGO_SMTP:
                path = f"{CopySMTPConnection.__module__}.{CopySMTPConnection.__qualname__}"
            connection = get_connection(path, fail_silently=False)
            # Opened here, the connection outlives each send_messages() call: one SMTP session
            # (connect, EHLO, AUTH) serves the whole batch.
            connection.open()
            self.connection = connection
        return self.connection

    def address(self, copy: OutgoingCopy) -> str:
        return check_email_address(copy.to)

    def build(self, copy: OutgoingCopy, address: str) -> EmailMultiAlternatives:
        message = CopyEmail(
            subject=copy.subject,
            body=copy.text,
            from_email=copy.from_email or None,
            to=[address],
            reply_to=[copy.reply_to] if copy.reply_to else None,
            headers=dict(copy.headers),
            connection=self._connection(),
        )
        if copy.html:
            message.attach_alternative(copy.html, "text/html")
        for attachment in copy.attachments:
            message.attach(attachment.filename, attachment.content, attachment.content_type)
        return message

    def send(self, copy: OutgoingCopy) -> SendResult:
        address = self.address(copy)
        try:
            message = self.build(copy, address)
            sent = message.send(fail_silently=False)
        except Exception as exc:
            error = classify_mail_error(exc)
            if not isinstance(exc, smtplib.SMTPRecipientsRefused):
                # After anything but a refused address the session state is unknown.
                self.close()
            raise error from exc
        if not sent:
            self.close()
            raise temporary("Le serveur de messagerie n'a pas pris le message.", backend_down=True)
        status = getattr(message, "anymail_status", None)
        provider_id = getattr(status, "message_id", None) or copy.headers.get("Message-ID", "")
        return SendResult(provider_id=str(provider_id)[:120])
