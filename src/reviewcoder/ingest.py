"""Read reviews into Documents: a folder of .txt/.md/.docx/.pdf, a .jsonl, or a .csv.

Ids are stable: the file stem for a folder, the ``id`` field for .jsonl/.csv, never the position.
Text is normalised only in line endings (CRLF and CR become LF) and a leading BOM is dropped, so offsets
computed on a Document stay valid for its ``text``.

A file that is empty or unreadable is reported (``read_documents_report``) while the rest are still
read; a repeated id is an error naming both sources.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .errors import InputError
from .records import Document

__all__ = ["read_documents", "read_documents_report", "iter_records", "Problem", "TEXT_SUFFIXES", "normalise_text",
           "read_jsonl_objects"]

TEXT_SUFFIXES = (".txt", ".md", ".docx", ".pdf")
# Tried in order for files that are not UTF-8: Windows-1252 covers what Word and older case systems
# save in England; latin-1 never fails, so it is the last resort.
_FALLBACK_ENCODINGS = ("cp1252", "latin-1")
MAX_TEXT_CHARS = 5_000_000


@dataclass(frozen=True)
class Problem:
    """A record or file that was skipped, and why (one line, names the offender and the fix)."""

    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


def normalise_text(text: str) -> str:
    """Drop a leading BOM and turn Windows/old-Mac line endings into LF."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, source: str) -> str:
    if b"\x00" in data[:4096] and not (data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff")):
        raise InputError(f"{source} looks like a binary file (NUL bytes), not text; convert it to .txt, .docx or .pdf")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    for encoding in _FALLBACK_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{source} cannot be decoded as text; save it as UTF-8")  # pragma: no cover


def _read_docx(path: Path) -> str:
    import docx  # python-docx

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several unrelated types for a bad file
        raise InputError(f"{path} is not a readable .docx file ({type(exc).__name__}); re-save it from Word") from None
    return "\n\n".join(p.text for p in document.paragraphs if p.text.strip())


def _read_pdf(path: Path) -> str:
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf raises many error types for damaged files
        raise InputError(f"{path} is not a readable PDF ({type(exc).__name__}); export it again or convert to .txt") from None
    return "\n\n".join(p.strip() for p in pages if p.strip())


def _read_file_text(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".docx":
        text = _read_docx(path)
    elif suffix == ".pdf":
        text = _read_pdf(path)
    else:
        text = _decode(path.read_bytes(), str(path))
    return normalise_text(text)


def _check_text(text: str, source: str) -> None:
    if not text.strip():
        raise InputError(f"{source} is empty (no text); remove it or add the review text")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(
            f"{source} has {len(text):,} characters, over the limit of {MAX_TEXT_CHARS:,}; split it into several documents"
        )


def iter_records(path: str | Path) -> Iterator[Document | Problem]:
    """Yield a Document or a Problem for every input record, in input order."""
    for _, item in _iter_located(path):
        yield item


def _iter_located(path: str | Path) -> Iterator[tuple[str, Document | Problem]]:
    """(where, record) pairs: ``where`` names the file, line or row, for error messages."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"Input {path} does not exist; give a folder of .txt/.md/.docx/.pdf files, a .jsonl or a .csv")
    if path.is_dir():
        yield from _iter_folder(path)
    elif path.suffix.lower() == ".jsonl":
        yield from _iter_jsonl(path)
    elif path.suffix.lower() == ".csv":
        yield from _iter_csv(path)
    elif path.suffix.lower() in TEXT_SUFFIXES:
        yield from _iter_files([path])
    else:
        raise InputError(
            f"Input {path} has suffix {path.suffix or '(none)'!r}; use a folder, .jsonl, .csv, .txt, .md, .docx or .pdf"
        )


def _iter_folder(folder: Path) -> Iterator[tuple[str, Document | Problem]]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES)
    if not files:
        raise InputError(f"Folder {folder} holds no .txt, .md, .docx or .pdf files; point at the folder with the reviews")
    yield from _iter_files(files)


def _iter_files(files: list[Path]) -> Iterator[tuple[str, Document | Problem]]:
    for file in files:
        where = str(file)
        try:
            text = _read_file_text(file)
            _check_text(text, where)
        except InputError as exc:
            yield where, Problem(where, str(exc))
            continue
        except OSError as exc:
            yield where, Problem(where, f"{file} cannot be read ({exc.strerror}); check its permissions")
            continue
        yield where, Document(id=file.stem, text=text, meta={"source": where, "title": _first_line(text)})


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0][:200]


def _record_to_document(record: dict, source: str, file: Path) -> Document | Problem:
    if "id" not in record or record["id"] in (None, ""):
        return Problem(source, f"{source} has no 'id'; give every record a unique id")
    if "text" not in record:
        return Problem(source, f"{source} (id {record['id']!r}) has no 'text' field; add the review text")
    text = record["text"]
    if not isinstance(text, str):
        return Problem(source, f"{source} (id {record['id']!r}): 'text' must be a string, got {type(text).__name__}")
    text = normalise_text(text)
    try:
        _check_text(text, f"{source} (id {record['id']!r})")
    except InputError as exc:
        return Problem(source, str(exc))
    meta = {k: v for k, v in record.items() if k not in ("id", "text")}
    extra = meta.pop("meta", None)
    if isinstance(extra, dict):
        meta = {**extra, **meta}
    meta.setdefault("source", str(file))
    return Document(id=str(record["id"]), text=text, meta=meta)


def read_jsonl_objects(path: str | Path, text: str | None = None, fix: str = "fix that line") -> Iterator[tuple[str, dict]]:
    """``(where, record)`` for each non-blank line of the JSONL file ``path``, ``where`` = "PATH line N".

    ``text``: the file's contents when the caller has already read them (default: read as UTF-8, a BOM
    allowed). A line that is not a JSON object raises InputError naming the file and line, ending with
    ``fix``. Lines are split on newlines only: a JSON string may hold U+2028 and other line separators.
    """
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise InputError(f"{path} does not exist; check the path") from None
        except UnicodeDecodeError:
            raise InputError(f"{path} is not UTF-8; save it as UTF-8") from None
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path} line {lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where} is not valid JSON ({exc.msg}); {fix}") from None
        if not isinstance(record, dict):
            raise InputError(f"{where} is not a JSON object ({{...}}); {fix}")
        yield where, record


def _iter_jsonl(path: Path) -> Iterator[tuple[str, Document | Problem]]:
    raw = path.read_bytes()
    text = normalise_text(_decode(raw, str(path)))
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path} line {lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield where, Problem(where, f"{where} is not valid JSON ({exc.msg}); fix or remove that line")
            continue
        if not isinstance(record, dict):
            yield where, Problem(where, f"{where} is not a JSON object; write one {{\"id\": ..., \"text\": ...}} per line")
            continue
        yield where, _record_to_document(record, where, path)


def _iter_csv(path: Path) -> Iterator[tuple[str, Document | Problem]]:
    text = _decode(path.read_bytes(), str(path))
    # Keep embedded newlines inside quoted fields; normalise them per record instead.
    reader = csv.DictReader(text.splitlines(keepends=True))
    fields = [f.strip() for f in (reader.fieldnames or [])]
    if "id" not in fields or "text" not in fields:
        raise InputError(f"{path} needs columns 'id' and 'text' (found: {', '.join(fields) or 'none'}); rename the header")
    for rowno, row in enumerate(reader, start=2):
        row = {(k or "").strip(): v for k, v in row.items()}
        where = f"{path} row {rowno}"
        yield where, _record_to_document(row, where, path)


def read_documents_report(path: str | Path) -> tuple[list[Document], list[Problem]]:
    """Read every record; return the Documents and the Problems (skipped records), in input order.

    Raises InputError when two records share an id (naming both sources), or the input itself is unusable.
    """
    docs: list[Document] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for source, item in _iter_located(path):
        if isinstance(item, Problem):
            problems.append(item)
            continue
        if item.id in seen:
            raise InputError(
                f"Document id {item.id!r} appears twice: in {seen[item.id]} and in {source}; give each review a unique id"
            )
        seen[item.id] = source
        docs.append(item)
    return docs, problems


def read_documents(path: str | Path, strict: bool = False) -> list[Document]:
    """Read reviews from ``path``. With ``strict``, any skipped record is an error; else it is dropped.

    Use ``read_documents_report`` to see what was skipped.
    """
    docs, problems = read_documents_report(path)
    if strict and problems:
        raise InputError(f"{len(problems)} record(s) could not be read, first: {problems[0]}")
    return docs
