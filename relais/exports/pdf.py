"""PDF rendering (WeasyPrint): HTML in, PDF bytes out.

A printed document (`Printable`: a title, a footer, its body as blocks in reading order) is
laid out on A4 pages footed with its footer and « Page X / Y ». WeasyPrint costs about a
millisecond of CPU per line of text, so a long one (a busy month's journal: 40 pages, 2,500
lines) is rendered in parts, one per processor, at block boundaries: each part is a document
of its own (a part starts on a new page, with the block's `lead`, e.g. the day's title followed
by « (suite) »), rendered by a process forked for it; the parts' page counts give every page
its final number, each process then lays out the footers of its pages (a sheet of empty pages
carrying nothing but the footer, the same @page rules as a whole document's), and the parts
are joined into one PDF with each footer laid over its page. Whatever goes wrong on the way
(no fork, a part failing or too slow), the document is rendered whole, in this process.
"""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

if TYPE_CHECKING:
    from collections.abc import Iterator
    from multiprocessing.connection import Connection


logger = logging.getLogger(__name__)

# A document estimated at fewer lines than this renders in one process (under about 0.6 s):
# forking, the footers' second pass and the join would cost more than they save.
PARALLEL_MIN_WEIGHT = 600
# At most this many processes for one document (fewer when fewer processors are available).
MAX_PARTS = 4
# The parts being of the same weight, the others should be done about when this process is
# done with its own: one that has not answered after 3 times as long (PART_TIMEOUT_S at least)
# is given up, and the document rendered whole.
PART_TIMEOUT_S = 10.0


def html_to_pdf(html: str) -> bytes:
    # Imported here: loading WeasyPrint (pango, fonts) costs a second the web process rarely needs.
    from weasyprint import HTML

    # Here too: the fetcher module loads WeasyPrint.
    from relais.exports.fetcher import StaticFilesFetcher

    return bytes(HTML(string=html, url_fetcher=StaticFilesFetcher()).write_pdf())


# --- printed documents ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A piece of a document's body (HTML, already escaped). A page may break between two
    blocks, and a document rendered in parts is cut there."""

    html: str
    # Lines of text it holds, about (a line of 8.5 pt text across the page): what balances parts.
    weight: int
    # Printed before the block when a part starts with it: "<h2>Lundi 4 mars 2030 (suite)</h2>".
    lead: str = ""


@dataclass(frozen=True)
class Printable:
    title: str
    footer: str  # the left footer's text; the right one is « Page X / Y »
    blocks: list[Block]
    style: str = ""  # CSS of its own (trusted), after the common style

    @property
    def weight(self) -> int:
        return sum(block.weight for block in self.blocks)


def css_string(value: str) -> str:
    """A CSS string literal holding value, whatever it contains (client names come from users):
    every character but plain letters, digits and a few safe signs is a hex escape."""
    out = []
    for char in value:
        if char.isalnum() or char in " .,:;/()-–·'":
            out.append(char)
        else:
            out.append(f"\\{ord(char):x} ")
    return '"' + "".join(out) + '"'


def document_html(doc: Printable, blocks: list[Block] | None = None, *, footer: bool = True) -> str:
    """The document as one HTML page (its blocks, or those given), footed on every page unless
    footer is False (a part rendered on its own: its footers come later)."""
    if blocks is None:
        blocks = doc.blocks
    body = "".join(block.html for block in blocks)
    if blocks and blocks[0] is not doc.blocks[0]:
        body = blocks[0].lead + body
    context = {"title": doc.title, "style": doc.style, "body": mark_safe(body), "footer": footer}
    if footer:
        context |= {"footer_css": css_string(doc.footer), "total": "counter(pages)"}
    return render_to_string("exports/document.html", context)


def footers_html(doc: Printable, first: int, count: int, total: int) -> str:
    """count empty pages footed as pages first… of total are."""
    return render_to_string(
        "exports/footers.html",
        {
            "footer_css": css_string(doc.footer),
            "total": css_string(str(total)),
            "first": first,
            "pages": range(count),
        },
    )


def render_pdf(doc: Printable, *, parts: int | None = None) -> bytes:
    """The document's PDF; in parts rendered side by side when it is long (parts: at most how
    many, by default `planned_parts`)."""
    pieces = split_blocks(doc.blocks, planned_parts(doc) if parts is None else parts)
    with _heap_frozen():
        if len(pieces) > 1:
            try:
                return _render_in_parts(doc, pieces)
            except PartFailed as error:
                logger.warning("PDF rendered whole, its parts failed: %s", error)
        return html_to_pdf(document_html(doc))


@contextlib.contextmanager
def _heap_frozen() -> Iterator[None]:
    """The objects alive before the render are left out of the garbage collector's passes
    while it runs: a long render allocates enough to start a full pass, which would walk the
    whole application (0.1 s); and a forked process does not copy the pages those passes
    would write to."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def planned_parts(doc: Printable) -> int:
    """In how many parts the document is rendered: one per available processor (MAX_PARTS at
    most) when it weighs PARALLEL_MIN_WEIGHT or more, else one."""
    if doc.weight < PARALLEL_MIN_WEIGHT:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_PARTS))


def split_blocks(blocks: list[Block], parts: int) -> list[list[Block]]:
    """blocks cut in order into at most `parts` runs, the heaviest run as light as it can be
    (the document takes as long as its longest part)."""
    parts = max(1, min(parts, len(blocks)))
    if parts == 1:
        return [blocks]
    weights = [max(0, block.weight) for block in blocks]

    def fill(most: int) -> list[list[Block]]:
        runs: list[list[Block]] = [[]]
        load = 0
        for block, weight in zip(blocks, weights, strict=True):
            if runs[-1] and load + weight > most:
                runs.append([])
                load = 0
            runs[-1].append(block)
            load += weight
        return runs

    # The least weight a run may hold for the blocks to fit in `parts` runs.
    low, high = max(weights), sum(weights)
    while low < high:
        middle = (low + high) // 2
        if len(fill(middle)) <= parts:
            high = middle
        else:
            low = middle + 1
    return fill(low)


class PartFailed(Exception):
    """A part could not be rendered by its process."""


def _render_counted(html: str) -> tuple[int, bytes]:
    # Imported here, as in html_to_pdf: WeasyPrint loads only where a PDF is made.
    from weasyprint import HTML

    # Here too: the fetcher module loads WeasyPrint.
    from relais.exports.fetcher import StaticFilesFetcher

    document = HTML(string=html, url_fetcher=StaticFilesFetcher()).render()
    return len(document.pages), bytes(document.write_pdf())


def _part_process(conn: Connection, doc: Printable, html: str) -> None:
    """In the forked process: render the part, say how many pages it has, wait for its first
    page's number and the total, render its footers."""
    try:
        count, pdf = _render_counted(html)
        conn.send(("part", count, pdf))
        first, total = conn.recv()
        conn.send(("footers", html_to_pdf(footers_html(doc, first, count, total))))
    except (EOFError, OSError):
        pass  # the parent gave up on this part (or is gone): nobody to tell
    except BaseException as error:  # whatever it is, the parent must hear of it
        with contextlib.suppress(OSError):
            conn.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        conn.close()


def _receive(conn: Connection, what: str, deadline: float) -> tuple[Any, ...]:
    if not conn.poll(max(0.0, deadline - time.monotonic())):
        raise PartFailed(f"no {what} in time")
    try:
        answer = conn.recv()
    except (EOFError, OSError) as error:
        raise PartFailed(f"the process rendering a part ended ({error!r})") from error
    if answer[0] != what:
        raise PartFailed(str(answer[-1]))
    return tuple(answer[1:])


def _render_in_parts(doc: Printable, pieces: list[list[Block]]) -> bytes:
    # Imported here: only a long document forks processes to render its parts.
    import multiprocessing

    htmls = [document_html(doc, piece, footer=False) for piece in pieces]
    helpers: list[tuple[Any, Connection]] = []
    try:
        # Forked, not spawned: the child starts with WeasyPrint loaded and its fonts known.
        context = multiprocessing.get_context("fork")
        for html in htmls[1:]:
            ours, theirs = context.Pipe()
            process = context.Process(target=_part_process, args=(theirs, doc, html), daemon=True)
            process.start()
            theirs.close()
            helpers.append((process, ours))
    except (OSError, ValueError, AssertionError) as error:  # daemons may not fork, no fork
        _stop(helpers)
        raise PartFailed(f"cannot start a process: {error!r}") from error
    try:
        started = time.monotonic()
        counted = [_render_counted(htmls[0])]
        deadline = time.monotonic() + max(PART_TIMEOUT_S, 3 * (time.monotonic() - started))
        counted += [_receive(conn, "part", deadline) for _, conn in helpers]
        counts = [count for count, _ in counted]
        total = sum(counts)
        firsts = [1 + sum(counts[:i]) for i in range(len(counts))]
        for (_, conn), first in zip(helpers, firsts[1:], strict=True):
            conn.send((first, total))
        sheets = [html_to_pdf(footers_html(doc, 1, counts[0], total))]
        sheets += [_receive(conn, "footers", deadline)[0] for _, conn in helpers]
    finally:
        _stop(helpers)
    return join_pdfs([pdf for _, pdf in counted], sheets)


def _stop(helpers: list[tuple[Any, Connection]]) -> None:
    for process, conn in helpers:
        conn.close()
        process.join(timeout=1)
        if process.is_alive():
            process.kill()
            process.join()


def join_pdfs(bodies: list[bytes], sheets: list[bytes]) -> bytes:
    """The bodies' pages in order, each with the matching sheet page laid over it."""
    # Imported here: pypdf is needed only when a document was rendered in parts.
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    headings: list[list[Any]] = []  # the outline's top items so far: [item, has sub-items]
    for index, body in enumerate(bodies):
        reader = PdfReader(io.BytesIO(body))
        if index == 0 and reader.metadata:
            writer.add_metadata(dict(reader.metadata))
        first_page = len(writer.pages)
        writer.append(reader, import_outline=False)
        # A part after the first starts inside the previous one's outline (the days under the
        # report's title): its items go under the last top item when that one has sub-items.
        if headings and headings[-1][1]:
            _copy_outline(writer, reader, reader.outline, first_page, headings[-1][0], None)
        else:
            _copy_outline(writer, reader, reader.outline, first_page, None, headings)
    overlays = [page for sheet in sheets for page in PdfReader(io.BytesIO(sheet)).pages]
    if len(overlays) != len(writer.pages):
        raise PartFailed(f"{len(overlays)} footers for {len(writer.pages)} pages")

    def stream(data: bytes) -> Any:
        obj = DecodedStreamObject()
        obj.set_data(data)
        return writer._add_object(obj)

    # The page's drawing keeps its graphics state to itself; the footer, a form of its own, is
    # drawn after it in the page's plain coordinates. (Pages may share their resources: each
    # footer has a name of its own.)
    save = stream(b"q\n")
    for number, (page, overlay) in enumerate(zip(writer.pages, overlays, strict=True), start=1):
        name = f"/RelaisFooter{number}"
        form = DecodedStreamObject()
        form.set_data(_page_drawing(overlay))
        form.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Form"),
                NameObject("/BBox"): overlay.mediabox,
                NameObject("/Resources"): overlay.raw_get("/Resources").clone(writer),
            }
        )
        resources = page.raw_get("/Resources").get_object()
        if "/XObject" not in resources:
            resources[NameObject("/XObject")] = DictionaryObject()
        resources["/XObject"][NameObject(name)] = writer._add_object(form.flate_encode())
        contents = page.raw_get("/Contents")
        drawing = contents.get_object()
        old = list(drawing) if isinstance(drawing, ArrayObject) else [contents]
        foot = stream(f"\nQ\n{name} Do\n".encode())
        page[NameObject("/Contents")] = ArrayObject([save, *old, foot])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _copy_outline(
    writer: Any,
    reader: Any,
    items: list[Any],
    first_page: int,
    parent: Any,
    record: list[list[Any]] | None,
) -> None:
    """reader's outline items (a nested list: sub-items follow their item) into writer's, under
    parent, their pages shifted by first_page; the top ones noted in record."""
    # Imported here, as in join_pdfs.
    from pypdf.generic import Fit, NullObject

    last = None
    for item in items:
        if isinstance(item, list):
            if last is not None:
                _copy_outline(writer, reader, item, first_page, last, None)
                if record:
                    record[-1][1] = True
            continue
        page = reader.get_destination_page_number(item)
        if page is None:
            continue
        at = [None if isinstance(v, NullObject) else v for v in (item.left, item.top)]
        last = writer.add_outline_item(
            title=item.title,
            page_number=first_page + page,
            parent=parent,
            fit=Fit.xyz(*at) if item.typ == "/XYZ" else Fit.fit(),
        )
        if record is not None:
            record.append([last, False])


def _page_drawing(page: Any) -> bytes:
    """A page's content streams, decoded, as one."""
    contents = page.get("/Contents")
    if contents is None:
        return b""
    contents = contents.get_object()
    streams = [item.get_object() for item in contents] if isinstance(contents, list) else [contents]
    return b"\n".join(stream.get_data() for stream in streams)
