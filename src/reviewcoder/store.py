"""The annotation store: one SQLite file holding documents, segments, coders, annotations,
completions, suggestions, and the history of every code a sync changed or removed.

Rules the store keeps:
- a coder's codes are never merged with another's: every row carries its coder id;
- every public write runs in one transaction: it all lands, or nothing does (a killed process
  leaves the file exactly as before, which SQLite's journal guarantees);
- writing the same thing twice adds nothing (natural keys, ``INSERT OR IGNORE``);
- nothing is deleted without a copy in ``history``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from .errors import InputError, StoreError
from .records import Annotation, Completion, Document, Segment, Suggestion

__all__ = ["AnnotationStore", "open_store", "DEFAULT_STORE_PATH", "LONG_COLUMNS", "read_long", "item_doc_id"]

DEFAULT_STORE_PATH = Path("annotations") / "reviewcoder.sqlite"
SCHEMA_VERSION = 1
# The tidy long format: required columns first, then the optional ones export always writes.
LONG_REQUIRED = ("item", "coder", "label", "value")
LONG_COLUMNS = LONG_REQUIRED + ("start", "end", "doc_id", "source", "origin", "created_at", "updated_at")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, text TEXT NOT NULL, meta TEXT NOT NULL DEFAULT '{}', added_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS segments (
    doc_id TEXT NOT NULL REFERENCES documents(id), kind TEXT NOT NULL, idx INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, PRIMARY KEY (doc_id, kind, idx));
CREATE TABLE IF NOT EXISTS coders (id TEXT PRIMARY KEY, kind TEXT NOT NULL, first_seen TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS annotations (
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, item TEXT NOT NULL, coder TEXT NOT NULL, theme TEXT NOT NULL,
    start INTEGER, "end" INTEGER, span_key TEXT NOT NULL, value TEXT NOT NULL, source TEXT NOT NULL,
    origin TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    UNIQUE (coder, item, theme, span_key));
CREATE INDEX IF NOT EXISTS annotations_coder ON annotations (coder, origin);
CREATE TABLE IF NOT EXISTS completions (
    doc_id TEXT NOT NULL, item TEXT NOT NULL, coder TEXT NOT NULL, origin TEXT NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (coder, item));
CREATE TABLE IF NOT EXISTS suggestions (
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, item TEXT NOT NULL, theme TEXT NOT NULL, score REAL NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, model_id TEXT NOT NULL, codebook TEXT NOT NULL,
    created_at TEXT NOT NULL, UNIQUE (model_id, item, theme, start, "end"));
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY, event TEXT NOT NULL, scope TEXT NOT NULL, coder TEXT NOT NULL, doc_id TEXT NOT NULL,
    item TEXT NOT NULL, theme TEXT NOT NULL, start INTEGER, "end" INTEGER, value TEXT NOT NULL,
    old_value TEXT, origin TEXT NOT NULL, at TEXT NOT NULL);
"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def item_doc_id(item: str) -> str:
    """The document an item belongs to: ``doc#p3`` -> ``doc``; an item without '#' is its own document."""
    return item.split("#", 1)[0]


def _span_key(start: int | None, end: int | None) -> str:
    return "" if start is None else f"{start}:{end}"


class AnnotationStore:
    """An open store. Use as a context manager, or call ``close()``.

    >>> with AnnotationStore(":memory:") as store:
    ...     store.add_annotations([Annotation("d1", "ana", "domestic_abuse", "d1#p0")])
    1
    """

    def __init__(self, path: str | Path = DEFAULT_STORE_PATH) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        if self.path is not None:
            if self.path.is_dir():
                raise StoreError(f"Store path {self.path} is a folder; give a file path such as {self.path / 'reviewcoder.sqlite'}")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(path), isolation_level=None)  # we manage transactions ourselves
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.executescript(_SCHEMA)
            version = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"Store {path} is not a reviewcoder store ({exc}); point --store at another file") from None
        if version is None:
            self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(version[0]) != SCHEMA_VERSION:
            raise StoreError(f"Store {path} has schema version {version[0]}; this reviewcoder reads {SCHEMA_VERSION}")
        self._depth = 0

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "AnnotationStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator["AnnotationStore"]:
        """Everything inside lands together or not at all. Nested calls join the outer transaction."""
        if self._depth == 0:
            self._db.execute("BEGIN IMMEDIATE")
        self._depth += 1
        try:
            yield self
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self._db.execute("ROLLBACK")
            raise
        self._depth -= 1
        if self._depth == 0:
            self._db.execute("COMMIT")

    # -- documents and segments ----------------------------------------------------------------
    def add_documents(self, docs: Iterable[Document], segment: bool = True) -> int:
        """Add documents (and their paragraph segments). Returns how many were new.

        The same id with the same text is skipped; the same id with other text is an error, since
        codes point into the text by offset.
        """
        from .segment import segment_paragraphs

        added = 0
        with self.transaction():
            for doc in docs:
                row = self._db.execute("SELECT text FROM documents WHERE id=?", (doc.id,)).fetchone()
                if row is not None:
                    if row[0] != doc.text:
                        raise StoreError(
                            f"Document {doc.id!r} is already in the store with different text; codes point into the "
                            "text by offset, so give the new version another id"
                        )
                    continue
                self._db.execute(
                    "INSERT INTO documents VALUES (?,?,?,?)",
                    (doc.id, doc.text, json.dumps(dict(doc.meta), ensure_ascii=False, default=str), _now()),
                )
                if segment:
                    self._db.executemany(
                        'INSERT INTO segments (doc_id, kind, idx, start, "end") VALUES (?,?,?,?,?)',
                        [(s.doc_id, s.kind, s.index, s.start, s.end) for s in segment_paragraphs(doc)],
                    )
                added += 1
        return added

    def documents(self) -> list[Document]:
        rows = self._db.execute("SELECT id, text, meta FROM documents ORDER BY rowid").fetchall()
        return [Document(id=r[0], text=r[1], meta=json.loads(r[2])) for r in rows]

    def document(self, doc_id: str) -> Document:
        row = self._db.execute("SELECT id, text, meta FROM documents WHERE id=?", (doc_id,)).fetchone()
        if row is None:
            raise StoreError(f"Document {doc_id!r} is not in store {self.path}; add it with `reviewcoder import`")
        return Document(id=row[0], text=row[1], meta=json.loads(row[2]))

    def segments(self, doc_id: str | None = None, kind: str = "paragraph") -> list[Segment]:
        sql = 'SELECT s.doc_id, s.kind, s.start, s."end", s.idx, d.text FROM segments s JOIN documents d ON d.id = s.doc_id WHERE s.kind=?'
        args: list[Any] = [kind]
        if doc_id is not None:
            sql += " AND s.doc_id=?"
            args.append(doc_id)
        sql += " ORDER BY d.rowid, s.idx"
        return [
            Segment(doc_id=r[0], kind=r[1], start=r[2], end=r[3], index=r[4], text=r[5][r[2]:r[3]])
            for r in self._db.execute(sql, args)
        ]

    # -- coders, annotations, completions --------------------------------------------------------
    def _ensure_coder(self, coder: str, source: str) -> None:
        kind = "model" if source == "model" or coder.startswith("model:") else "human"
        self._db.execute("INSERT OR IGNORE INTO coders VALUES (?,?,?)", (coder, kind, _now()))

    def coders(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT id FROM coders ORDER BY id")]

    def _insert_annotation(self, a: Annotation) -> int:
        now = _now()
        existing = self._db.execute(
            "SELECT value FROM annotations WHERE coder=? AND item=? AND theme=? AND span_key=?",
            (a.coder, a.item, a.theme, _span_key(a.start, a.end)),
        ).fetchone()
        if existing is not None:
            if existing[0] != a.value:
                raise StoreError(
                    f"Coder {a.coder!r} already has {a.theme!r} on {a.item!r} with value {existing[0]!r}, not "
                    f"{a.value!r}; one coder codes a unit once: fix the input or use `reviewcoder sync pull` for edits"
                )
            return 0
        self._ensure_coder(a.coder, a.source)
        self._db.execute(
            'INSERT INTO annotations (doc_id, item, coder, theme, start, "end", span_key, value, source, origin, '
            "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (a.doc_id, a.item, a.coder, a.theme, a.start, a.end, _span_key(a.start, a.end), a.value, a.source,
             a.origin, a.created_at or now, a.updated_at or a.created_at or now),
        )
        return 1

    def add_annotations(self, annotations: Iterable[Annotation]) -> int:
        """Add codes; returns how many were new. A conflicting value for the same key is an error."""
        with self.transaction():
            return sum(self._insert_annotation(a) for a in annotations)

    def add_completions(self, completions: Iterable[Completion]) -> int:
        added = 0
        with self.transaction():
            for c in completions:
                self._ensure_coder(c.coder, "human")
                cur = self._db.execute(
                    "INSERT OR IGNORE INTO completions VALUES (?,?,?,?,?)",
                    (c.doc_id, c.item, c.coder, c.origin, c.created_at or _now()),
                )
                added += cur.rowcount
        return added

    def annotations(self, coder: str | None = None, source: str | None = None) -> list[Annotation]:
        sql = ('SELECT doc_id, coder, theme, item, start, "end", value, source, origin, created_at, updated_at '
               "FROM annotations WHERE 1=1")
        args: list[Any] = []
        if coder is not None:
            sql += " AND coder=?"
            args.append(coder)
        if source is not None:
            sql += " AND source=?"
            args.append(source)
        sql += " ORDER BY id"
        return [Annotation(*r) for r in self._db.execute(sql, args)]

    def completions(self, coder: str | None = None) -> list[Completion]:
        sql = "SELECT doc_id, item, coder, origin, created_at FROM completions"
        args: list[Any] = []
        if coder is not None:
            sql += " WHERE coder=?"
            args.append(coder)
        sql += " ORDER BY rowid"
        return [Completion(*r) for r in self._db.execute(sql, args)]

    def replace_coder_state(
        self, coder: str, scope: str, annotations: Iterable[Annotation], completions: Iterable[Completion]
    ) -> dict[str, int]:
        """Make ``coder``'s codes within ``scope`` (an origin prefix) exactly ``annotations``.

        Codes no longer there are removed from the current state and recorded in ``history``
        ('removed'); a changed value is recorded as 'changed'; new codes as 'added'. Completions in
        scope are replaced the same way. Returns counts of added, removed, changed and unchanged codes.
        """
        new = {(a.item, a.theme, _span_key(a.start, a.end)): a for a in annotations}
        counts = {"added": 0, "removed": 0, "changed": 0, "unchanged": 0}
        now = _now()
        like = scope.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self.transaction():
            current = {
                (r[1], r[2], r[3]): r
                for r in self._db.execute(
                    'SELECT id, item, theme, span_key, value, doc_id, start, "end", origin FROM annotations '
                    "WHERE coder=? AND origin LIKE ? ESCAPE '\\'",
                    (coder, like),
                )
            }
            for key, row in current.items():
                if key not in new:
                    self._log(now, "removed", scope, coder, row[5], row[1], row[2], row[6], row[7], row[4], None, row[8])
                    self._db.execute("DELETE FROM annotations WHERE id=?", (row[0],))
                    counts["removed"] += 1
            for key, a in new.items():
                row = current.get(key)
                if row is None:
                    self._insert_annotation(a)
                    self._log(now, "added", scope, coder, a.doc_id, a.item, a.theme, a.start, a.end, a.value, None, a.origin)
                    counts["added"] += 1
                elif row[4] != a.value:
                    self._db.execute(
                        "UPDATE annotations SET value=?, origin=?, updated_at=? WHERE id=?",
                        (a.value, a.origin, a.updated_at or now, row[0]),
                    )
                    self._log(now, "changed", scope, coder, a.doc_id, a.item, a.theme, a.start, a.end, a.value, row[4], a.origin)
                    counts["changed"] += 1
                else:
                    counts["unchanged"] += 1
            self._db.execute("DELETE FROM completions WHERE coder=? AND origin LIKE ? ESCAPE '\\'", (coder, like))
            self._ensure_coder(coder, "human")
            self._db.executemany(
                "INSERT OR REPLACE INTO completions VALUES (?,?,?,?,?)",
                [(c.doc_id, c.item, c.coder, c.origin, c.created_at or now) for c in completions],
            )
        return counts

    def _log(self, at, event, scope, coder, doc_id, item, theme, start, end, value, old_value, origin) -> None:
        self._db.execute(
            'INSERT INTO history (event, scope, coder, doc_id, item, theme, start, "end", value, old_value, origin, at) '
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (event, scope, coder, doc_id, item, theme, start, end, value, old_value, origin, at),
        )

    def history(self, coder: str | None = None) -> list[dict[str, Any]]:
        sql = 'SELECT event, scope, coder, doc_id, item, theme, start, "end", value, old_value, origin, at FROM history'
        args: list[Any] = []
        if coder is not None:
            sql += " WHERE coder=?"
            args.append(coder)
        cols = ["event", "scope", "coder", "doc_id", "item", "theme", "start", "end", "value", "old_value", "origin", "at"]
        return [dict(zip(cols, r)) for r in self._db.execute(sql + " ORDER BY id", args)]

    # -- suggestions ---------------------------------------------------------------------------
    def add_suggestions(self, suggestions: Iterable[Suggestion]) -> int:
        added = 0
        with self.transaction():
            for s in suggestions:
                cur = self._db.execute(
                    'INSERT OR IGNORE INTO suggestions (doc_id, item, theme, score, start, "end", model_id, codebook, '
                    "created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                    (s.doc_id, s.item, s.theme, float(s.score), s.start, s.end, s.model_id, s.codebook, _now()),
                )
                added += cur.rowcount
        return added

    def suggestions(self, model_id: str | None = None) -> list[Suggestion]:
        sql = 'SELECT doc_id, item, theme, score, start, "end", model_id, codebook FROM suggestions'
        args: list[Any] = []
        if model_id is not None:
            sql += " WHERE model_id=?"
            args.append(model_id)
        return [Suggestion(*r) for r in self._db.execute(sql + " ORDER BY id", args)]

    # -- metadata ------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, value))

    def counts(self) -> dict[str, int]:
        tables = ("documents", "segments", "coders", "annotations", "completions", "suggestions", "history")
        return {t: self._db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}

    # -- tidy long import / export -----------------------------------------------------------------
    def import_long(self, path: str | Path, codebook=None) -> dict[str, int]:
        """Import a tidy long CSV/JSONL (item, coder, label, value[, start, end, ...]) in one transaction.

        Every row is read and checked before anything is written, so a bad row leaves the store as it
        was. With a codebook, labels outside it are an error listing them. Each (item, coder) in the
        file is recorded as completed: the coder looked at that unit. Returns counts of new rows.
        """
        rows = read_long(path)
        if codebook is not None:
            codebook.check_labels((r["label"] for r in rows), str(path))
        annotations, completions = long_rows_to_records(rows, origin=f"file:{Path(path).name}")
        with self.transaction():
            n_ann = self.add_annotations(annotations)
            n_comp = self.add_completions(completions)
        return {"rows": len(rows), "annotations": n_ann, "completions": n_comp}

    def export_long(self, path: str | Path, codebook=None, coder: str | None = None) -> int:
        """Write the store's codes in the tidy long format (.csv or .jsonl). Returns the rows written.

        Stored rows are written as they are. With a codebook, every completed (item, coder) also gets a
        value-0 row for each theme the coder did not apply there, so that 'coded, absent' survives in
        tools that only read the table.
        """
        rows = self.long_rows(codebook=codebook, coder=coder)
        write_long(path, rows)
        return len(rows)

    def long_rows(self, codebook=None, coder: str | None = None) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        present: set[tuple[str, str, str]] = set()
        for a in self.annotations(coder=coder):
            rows.append({"item": a.item, "coder": a.coder, "label": a.theme, "value": a.value,
                         "start": a.start, "end": a.end, "doc_id": a.doc_id, "source": a.source,
                         "origin": a.origin, "created_at": a.created_at, "updated_at": a.updated_at})
            present.add((a.item, a.coder, a.theme))
        if codebook is not None:
            for c in self.completions(coder=coder):
                for theme in codebook.theme_ids:
                    if (c.item, c.coder, theme) not in present:
                        rows.append({"item": c.item, "coder": c.coder, "label": theme, "value": "0", "start": None,
                                     "end": None, "doc_id": c.doc_id, "source": "human", "origin": c.origin,
                                     "created_at": c.created_at, "updated_at": c.created_at})
        rows.sort(key=lambda r: (r["item"], r["coder"], r["label"], r["start"] if r["start"] is not None else -1))
        return rows


def open_store(path: str | Path | None = None) -> AnnotationStore:
    """Open (or create) the store at ``path``; default annotations/reviewcoder.sqlite under the current folder."""
    return AnnotationStore(DEFAULT_STORE_PATH if path is None else path)


# -- the tidy long format, as plain functions ------------------------------------------------------------
def _int_or_none(value: Any, where: str, column: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(float(value)) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: column '{column}' must be a whole number, got {value!r}; fix that cell") from None
    if number < 0:
        raise InputError(f"{where}: column '{column}' must be 0 or more, got {number}; fix that cell")
    return number


def read_long(path: str | Path) -> list[dict[str, Any]]:
    """Read and check a tidy long CSV or JSONL. Errors name the file and line."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"Annotation file {path} does not exist; give a tidy long .csv or .jsonl (item, coder, label, value)")
    from .ingest import normalise_text, read_jsonl_objects

    try:
        text = normalise_text(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8; save it as UTF-8 (CSV UTF-8 in Excel)") from None
    raw: list[tuple[str, dict[str, Any]]] = []
    if path.suffix.lower() == ".jsonl":
        raw += read_jsonl_objects(path, text, fix="each line holds item, coder, label, value")
    elif path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in LONG_REQUIRED if c not in header]
        if missing:
            raise InputError(f"{path} lacks column(s) {missing} (found: {header}); the tidy long format needs item, coder, label, value")
        for rowno, row in enumerate(reader, start=2):
            raw.append((f"{path} row {rowno}", {(k or "").strip(): v for k, v in row.items()}))
    else:
        raise InputError(f"{path}: annotations must be .csv or .jsonl, not {path.suffix or 'no suffix'}")
    rows: list[dict[str, Any]] = []
    for where, r in raw:
        for col in LONG_REQUIRED:
            if r.get(col) is None or str(r.get(col)).strip() == "":
                raise InputError(f"{where}: '{col}' is empty; every row needs item, coder, label and value")
        start = _int_or_none(r.get("start"), where, "start")
        end = _int_or_none(r.get("end"), where, "end")
        if (start is None) != (end is None) or (start is not None and end < start):
            raise InputError(f"{where}: a span needs both start and end with start <= end; got {start!r}, {end!r}")
        rows.append({
            "item": str(r["item"]).strip(), "coder": str(r["coder"]).strip(), "label": str(r["label"]).strip(),
            "value": str(r["value"]).strip(), "start": start, "end": end,
            "doc_id": str(r.get("doc_id") or "").strip() or item_doc_id(str(r["item"]).strip()),
            "source": str(r.get("source") or "human").strip(), "origin": str(r.get("origin") or "").strip(),
            "created_at": str(r.get("created_at") or "").strip(), "updated_at": str(r.get("updated_at") or "").strip(),
            "where": where,
        })
    return rows


_ZERO = {"0", "0.0", "no", "false", "n", "absent"}


def long_rows_to_records(rows: Iterable[Mapping[str, Any]], origin: str = "") -> tuple[list[Annotation], list[Completion]]:
    """Tidy long rows -> (annotations, completions). Every row is stored as coded (a 0 too, so the
    table round-trips); every (item, coder) seen becomes a completion."""
    annotations: list[Annotation] = []
    completions: dict[tuple[str, str], Completion] = {}
    for r in rows:
        if r["source"] not in ("human", "model", "review"):
            raise InputError(f"{r.get('where', 'a row')}: source {r['source']!r} is not human, model or review; fix that cell")
        annotations.append(Annotation(
            doc_id=r["doc_id"], coder=r["coder"], theme=r["label"], item=r["item"], start=r["start"], end=r["end"],
            value=r["value"], source=r["source"], origin=r["origin"] or origin,
            created_at=r["created_at"], updated_at=r["updated_at"],
        ))
        completions.setdefault((r["item"], r["coder"]), Completion(
            doc_id=r["doc_id"], item=r["item"], coder=r["coder"], origin=r["origin"] or origin, created_at=r["created_at"]))
    return annotations, list(completions.values())


def write_long(path: str | Path, rows: list[dict[str, Any]]) -> None:
    """Write tidy long rows to .csv or .jsonl atomically (temporary file, then rename)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl"):
        raise InputError(f"Export file {path} must end in .csv or .jsonl")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            if suffix == ".csv":
                writer = csv.DictWriter(fh, fieldnames=list(LONG_COLUMNS), extrasaction="ignore")
                writer.writeheader()
                for r in rows:
                    writer.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in LONG_COLUMNS})
            else:
                for r in rows:
                    fh.write(json.dumps({k: r.get(k) for k in LONG_COLUMNS}, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
