"""Reading an e-mail that comes in: who sent it, what it answers, its new text, its files,
and whether it is an auto-reply or a delivery-status notification (a bounce).

Pure functions over bytes (the standard library's parser, modern policy): no database.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from relais.inbound.quotes import strip_quoted


class MalformedMail(ValueError):
    """Not an e-mail that can be read (no header block, no sender)."""


@dataclass
class IncomingFile:
    name: str
    content_type: str
    data: bytes


@dataclass
class Bounce:
    """A delivery-status notification: which of our copies it is about, and why."""

    message_ids: list[str]
    reason: str


@dataclass
class ParsedMail:
    message_id: str
    from_address: str
    from_name: str
    subject: str
    to_addresses: list[str]
    references: list[str]
    full_text: str
    text: str
    files: list[IncomingFile] = field(default_factory=list)
    auto_reply: bool = False
    bounce: Bounce | None = None


_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
_MSGID = re.compile(r"<([^<>\s]+)>")
_AUTO_SUBJECT = re.compile(
    r"^\s*(r[ée]ponse automatique|auto(matic)?[ -]?reply|out of (the )?office|absence|"
    r"absent(e)? du bureau|message d'absence|autosvar|abwesenheit)\b",
    re.IGNORECASE,
)
_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)


def parse_mail(raw: bytes) -> ParsedMail:
    first = raw.lstrip(b"\r\n").split(b"\n", 1)[0]
    if not _HEADER_LINE.match(first):
        raise MalformedMail("Ce contenu n'est pas un e-mail lisible (pas d'en-têtes).")
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as exc:  # the parser is lenient; anything it raises is unreadable input
        raise MalformedMail("Ce contenu n'est pas un e-mail lisible.") from exc
    assert isinstance(msg, EmailMessage)
    from_name, from_address = parseaddr(_header(msg, "From"))
    if not from_address or "@" not in from_address:
        raise MalformedMail("E-mail sans expéditeur lisible (en-tête From).")
    to_headers = [
        _header(msg, name) for name in ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
    ]
    references = _MSGID.findall(_header(msg, "In-Reply-To")) + _MSGID.findall(
        _header(msg, "References")
    )
    full_text, files = _body_and_files(msg)
    bounce = _bounce(msg, from_address)
    return ParsedMail(
        message_id=(_MSGID.findall(_header(msg, "Message-ID")) or [""])[0][:240],
        from_address=from_address.strip().lower(),
        from_name=from_name.strip(),
        subject=_header(msg, "Subject").strip(),
        to_addresses=[a for _, a in getaddresses(to_headers) if a],
        references=references,
        full_text=full_text,
        text=strip_quoted(full_text),
        files=[] if bounce else files,
        auto_reply=bounce is None and _is_auto_reply(msg),
        bounce=bounce,
    )


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a header the parser cannot decode reads as empty
        return ""
    return str(value) if value is not None else ""


def _is_auto_reply(msg: Message) -> bool:
    auto = _header(msg, "Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return True
    if _header(msg, "X-Autoreply") or _header(msg, "X-Autorespond"):
        return True
    if _header(msg, "Precedence").strip().lower() in {"bulk", "junk", "list", "auto_reply"}:
        return True
    return bool(_AUTO_SUBJECT.match(_header(msg, "Subject")))


def _body_and_files(msg: EmailMessage) -> tuple[str, list[IncomingFile]]:
    plain: str | None = None
    html: str | None = None
    files: list[IncomingFile] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        content_type = part.get_content_type()
        filename = part.get_filename()
        if disposition == "attachment" or (filename and disposition != "inline"):
            files.append(
                IncomingFile(_safe_name(filename or "piece-jointe"), content_type, _bytes_of(part))
            )
        elif content_type == "text/plain" and plain is None:
            plain = _text_of(part)
        elif content_type == "text/html" and html is None:
            html = _text_of(part)
        elif filename:
            files.append(IncomingFile(_safe_name(filename), content_type, _bytes_of(part)))
    text = plain if plain is not None else html_to_text(html or "")
    return text.replace("\r\n", "\n").strip(), files


def _bytes_of(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _text_of(part: Message) -> str:
    payload = _bytes_of(part)
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def _safe_name(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable() and c not in "\u202e\u202d")
    return name.strip()[:200] or "piece-jointe"


class _TextExtractor(HTMLParser):
    _BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.quote = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "head"}:
            self.skip += 1
        if tag == "blockquote":
            self.quote += 1
        if tag in self._BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "head"} and self.skip:
            self.skip -= 1
        if tag == "blockquote" and self.quote:
            self.quote -= 1
        if tag in self._BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.quote:
            # Quoted blocks stay quoted: the stripper removes them like "> " lines.
            data = "\n".join("> " + line for line in data.splitlines() if line.strip())
        self.out.append(data)


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.out)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _bounce(msg: EmailMessage, from_address: str) -> Bounce | None:
    content_type = msg.get_content_type()
    report = content_type == "multipart/report" and (
        str(msg.get_param("report-type") or "").lower() == "delivery-status"
    )
    if not report and not _BOUNCE_SENDER.match(from_address):
        return None
    ids: list[str] = []
    reason = ""
    for part in msg.walk():
        part_type = part.get_content_type()
        if part_type == "message/delivery-status":
            reason = reason or _dsn_reason(part)
        elif part_type in {"message/rfc822", "text/rfc822-headers", "message/rfc822-headers"}:
            ids += _embedded_ids(part)
    if not ids and not report:
        # A mailer-daemon message without a report: look for our ids in its text.
        body, _ = _body_and_files(msg)
        ids = _MSGID.findall(body)
    if not ids:
        return None if not report else Bounce([], reason or "Adresse refusée.")
    return Bounce(ids, reason or "L'e-mail n'a pas pu être remis au destinataire.")


def _embedded_ids(part: Message) -> list[str]:
    if part.is_multipart():
        found: list[str] = []
        for sub in part.get_payload():  # type: ignore[union-attr]
            if isinstance(sub, Message):
                found += _MSGID.findall(_header(sub, "Message-ID"))
                found += [f"x-relais-delivery:{_header(sub, 'X-Relais-Delivery').strip()}"]
        return found
    text = _bytes_of(part).decode("utf-8", errors="replace")
    found = [m.group(1) for m in re.finditer(r"(?im)^message-id:\s*<([^<>\s]+)>", text)]
    found += [
        f"x-relais-delivery:{m.group(1)}"
        for m in re.finditer(r"(?im)^x-relais-delivery:\s*([0-9a-f-]{36})", text)
    ]
    return found


def _dsn_reason(part: Message) -> str:
    """The first failed recipient's status and diagnostic, in French."""
    raw = part.get_payload()
    text = ""
    if isinstance(raw, list):
        text = "\n".join(str(p) for p in raw)
    else:
        decoded = part.get_payload(decode=True)
        text = decoded.decode("utf-8", "replace") if isinstance(decoded, bytes) else str(raw)
    status = re.search(r"(?im)^status:\s*([245]\.\d+\.\d+)", text)
    diagnostic = re.search(r"(?im)^diagnostic-code:\s*(?:[a-z]+;\s*)?(.+)$", text)
    recipient = re.search(r"(?im)^final-recipient:\s*(?:rfc822;\s*)?(\S+)", text)
    parts = ["Non remis"]
    if recipient:
        parts.append(f"à {recipient.group(1)}")
    if status:
        parts.append(f"(statut {status.group(1)})")
    reason = " ".join(parts)
    if diagnostic:
        reason += f" : {diagnostic.group(1).strip()}"
    return reason[:300]
