"""REFI-QDA project files (.qdpx): codebook, sources, and every coder's codings, for NVivo, ATLAS.ti,
MAXQDA, QualCoder and any other tool that reads the standard (QDA-XML project 1.0).

What goes in:
- each theme as a Code (name, colour, definition as Description);
- each document as a TextSource with its plain text in ``sources/``;
- each code as a PlainTextSelection with a Coding by its coder (a User); a unit-level code selects the
  whole paragraph; ``created_at`` becomes ``creationDateTime``;
- model suggestions as codings by the model's own User, the selection's Description starting with
  ``reviewcoder suggestion`` and giving the score, so coders can tell them from human codes.

GUIDs are derived from ids (uuid5), so exporting twice gives the same file and an import can map codes
back to theme ids. What does not survive: completions ("coded, no theme"), which the standard has no
place for.
"""

from __future__ import annotations

import re
import uuid
import zipfile
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Iterable
from xml.etree import ElementTree as ET

from ..codebook import Codebook
from ..errors import InputError
from ..records import Annotation, Document, Suggestion
from ..writing import atomic_writer
from .units import item_for_span, span_of, unit_spans

__all__ = ["export_qdpx", "import_qdpx", "validate_qdpx", "QdpxContent", "SUGGESTION_MARK"]

NS = "urn:QDA-XML:project:1.0"
SUGGESTION_MARK = "reviewcoder suggestion"
_NAMESPACE = uuid.UUID("6b1c2f0e-6a43-4c8e-9a0b-7c3d2e1f0a55")
_PALETTE = ["#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F", "#BCBD22",
            "#17BECF", "#393B79", "#AD494A"]


def _guid(kind: str, key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{key}")).upper()


def _when(stamp: str) -> str:
    """An ISO date-time the schema accepts (xsd:dateTime); now when the record has none."""
    if stamp:
        try:
            return datetime.fromisoformat(stamp.replace("Z", "+00:00")).isoformat(timespec="seconds")
        except ValueError:
            pass
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def export_qdpx(
    path: str | Path,
    codebook: Codebook,
    documents: Iterable[Document],
    annotations: Iterable[Annotation] = (),
    suggestions: Iterable[Suggestion] = (),
    project_name: str = "reviewcoder export",
) -> Path:
    """Write a .qdpx project. Annotations on documents not given, or themes outside the codebook, are errors."""
    docs = list(documents)
    annotations = list(annotations)
    suggestions = list(suggestions)
    by_id = {d.id: d for d in docs}
    codebook.check_labels({a.theme for a in annotations} | {s.theme for s in suggestions}, "the codes to export")
    missing = sorted({a.doc_id for a in annotations if a.doc_id not in by_id})
    if missing:
        raise InputError(f"Codes point to documents {missing[:5]} that are not being exported; add those documents")
    ET.register_namespace("", NS)
    now = _when("")
    users = sorted({a.coder for a in annotations} | {f"model:{s.model_id}" for s in suggestions})
    root = ET.Element(_q("Project"), {"name": project_name, "origin": "reviewcoder", "creationDateTime": now})
    users_el = ET.SubElement(root, _q("Users"))
    for user in users or ["reviewcoder"]:
        ET.SubElement(users_el, _q("User"), {"guid": _guid("user", user), "name": user, "id": user})
    codes_el = ET.SubElement(ET.SubElement(root, _q("CodeBook")), _q("Codes"))
    for i, theme in enumerate(codebook.themes):
        color = theme.color if re.fullmatch(r"#[0-9A-Fa-f]{6}", theme.color or "") else _PALETTE[i % len(_PALETTE)]
        code = ET.SubElement(codes_el, _q("Code"), {"guid": _guid("code", theme.id), "name": theme.name,
                                                     "isCodable": "true", "color": color})
        ET.SubElement(code, _q("Description")).text = f"{theme.definition} [id: {theme.id}; kind: {theme.kind}]"
    sources_el = ET.SubElement(root, _q("Sources"))
    texts: dict[str, str] = {}
    for doc in docs:
        spans = unit_spans(doc)
        source_guid = _guid("doc", doc.id)
        texts[source_guid] = doc.text
        source = ET.SubElement(sources_el, _q("TextSource"), {
            "guid": source_guid, "name": doc.id, "plainTextPath": f"internal://{source_guid}.txt",
            "creationDateTime": now})
        for a in (x for x in annotations if x.doc_id == doc.id):
            span = span_of(a, spans)
            if span is None:
                raise InputError(f"Code {a.theme!r} by {a.coder!r} is on unit {a.item!r}, which is not a paragraph of "
                                 f"{doc.id!r}; re-segment or export span codes only")
            sel = ET.SubElement(source, _q("PlainTextSelection"), {
                "guid": _guid("sel", f"{a.coder}|{a.item}|{a.theme}|{a.start}|{a.end}"), "name": a.item,
                "startPosition": str(span[0]), "endPosition": str(span[1]),
                "creatingUser": _guid("user", a.coder), "creationDateTime": _when(a.created_at)})
            coding = ET.SubElement(sel, _q("Coding"), {"guid": _guid("coding", f"{a.coder}|{a.item}|{a.theme}|{a.start}"),
                                                       "creatingUser": _guid("user", a.coder),
                                                       "creationDateTime": _when(a.created_at)})
            ET.SubElement(coding, _q("CodeRef"), {"targetGUID": _guid("code", a.theme)})
        for s in (x for x in suggestions if x.doc_id == doc.id):
            user = f"model:{s.model_id}"
            sel = ET.SubElement(source, _q("PlainTextSelection"), {
                "guid": _guid("sel", f"{user}|{s.item}|{s.theme}|{s.start}|{s.end}"), "name": s.item,
                "startPosition": str(s.start), "endPosition": str(s.end),
                "creatingUser": _guid("user", user), "creationDateTime": now})
            ET.SubElement(sel, _q("Description")).text = (
                f"{SUGGESTION_MARK}: score {s.score:.3f}; model {s.model_id}; codebook {s.codebook}")
            coding = ET.SubElement(sel, _q("Coding"), {"guid": _guid("coding", f"{user}|{s.item}|{s.theme}|{s.start}"),
                                                       "creatingUser": _guid("user", user), "creationDateTime": now})
            ET.SubElement(coding, _q("CodeRef"), {"targetGUID": _guid("code", s.theme)})
    xml = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    with atomic_writer(path, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", xml)
        for guid, text in texts.items():
            zf.writestr(f"sources/{guid}.txt", text.encode("utf-8"))
    return Path(path)


class QdpxContent:
    """What an import found: documents, human annotations, model suggestions (as Annotations with
    source="model" and the score in ``origin``), and the codes the codebook did not know."""

    def __init__(self) -> None:
        self.documents: list[Document] = []
        self.annotations: list[Annotation] = []
        self.suggestions: list[Annotation] = []
        self.unknown_codes: list[str] = []


def _read_zip(path: Path) -> tuple[bytes, dict[str, bytes]]:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            qde = next((n for n in names if n.lower().endswith("project.qde")), None)
            if qde is None:
                raise InputError(f"{path} has no project.qde inside; export it again as a REFI-QDA project (.qdpx)")
            files = {n: zf.read(n) for n in names if not n.endswith("/")}
            return files.pop(qde), files
    except zipfile.BadZipFile:
        raise InputError(f"{path} is not a .qdpx (zip) file; export a REFI-QDA project from your QDA tool") from None


def import_qdpx(path: str | Path, codebook: Codebook, strict: bool = True) -> QdpxContent:
    """Read a .qdpx project into reviewcoder records. Codes are matched to themes by reviewcoder's GUIDs,
    then by theme name or id; with ``strict``, an unmatched code is an error listing them."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} does not exist; give a .qdpx file")
    qde, files = _read_zip(path)
    try:
        root = ET.fromstring(qde)
    except ET.ParseError as exc:
        raise InputError(f"{path}: project.qde is not valid XML ({exc}); the file is damaged") from None
    if root.tag != _q("Project"):
        raise InputError(f"{path}: project.qde is not a QDA-XML project (root {root.tag}); export again as .qdpx")
    users = {u.get("guid", "").upper(): (u.get("name") or u.get("id") or u.get("guid", "")) for u in root.iter(_q("User"))}
    by_guid = {_guid("code", t.id): t.id for t in codebook.themes}
    by_name = {t.name.lower(): t.id for t in codebook.themes} | {t.id.lower(): t.id for t in codebook.themes}
    code_theme: dict[str, str] = {}
    content = QdpxContent()
    for code in root.iter(_q("Code")):
        guid = code.get("guid", "").upper()
        theme = by_guid.get(guid) or by_name.get((code.get("name") or "").strip().lower())
        if theme:
            code_theme[guid] = theme
        else:
            content.unknown_codes.append(code.get("name") or guid)
    if content.unknown_codes and strict:
        raise InputError(f"Codes {sorted(content.unknown_codes)} in {path} are not themes of codebook {codebook.id}; "
                         "rename them to theme names or ids, or import with strict=False to skip them")
    for source in root.iter(_q("TextSource")):
        name = source.get("name") or source.get("guid")
        text = source.findtext(_q("PlainTextContent"))
        if text is None:
            ref = (source.get("plainTextPath") or "").replace("internal://", "")
            data = next((v for k, v in files.items() if k.rsplit("/", 1)[-1] == ref.rsplit("/", 1)[-1]), None)
            if data is None:
                raise InputError(f"{path}: source {name!r} has no text ({source.get('plainTextPath')}); export it with its sources")
            text = data.decode("utf-8-sig")
        doc = Document(id=str(name), text=text, meta={"source": str(path)})
        content.documents.append(doc)
        spans = unit_spans(doc)
        for sel in source.findall(_q("PlainTextSelection")):
            start, end = int(sel.get("startPosition", "0")), int(sel.get("endPosition", "0"))
            if not 0 <= start <= end <= len(text):
                raise InputError(f"{path}: selection {sel.get('guid')} in {name!r} runs outside the text ({start}-{end})")
            description = sel.findtext(_q("Description")) or ""
            for coding in sel.findall(_q("Coding")):
                ref = coding.find(_q("CodeRef"))
                theme = code_theme.get((ref.get("targetGUID", "") if ref is not None else "").upper())
                if theme is None:
                    continue
                user_guid = (coding.get("creatingUser") or sel.get("creatingUser") or "").upper()
                coder = users.get(user_guid, user_guid or "unknown")
                item, whole_unit = item_for_span(doc, start, end, spans)
                is_suggestion = description.startswith(SUGGESTION_MARK)
                record = Annotation(
                    doc_id=doc.id, coder=coder, theme=theme, item=item,
                    start=None if whole_unit else start, end=None if whole_unit else end,
                    source="model" if is_suggestion else "human",
                    origin=f"qdpx:{path.name}" + (f"; {description}" if is_suggestion else ""),
                    created_at=coding.get("creationDateTime") or sel.get("creationDateTime") or "")
                (content.suggestions if is_suggestion else content.annotations).append(record)
    return content


def validate_qdpx(path: str | Path) -> list[str]:
    """Check a .qdpx against the REFI-QDA project schema (1.0). Returns the errors; empty means valid."""
    from lxml import etree

    qde, _ = _read_zip(Path(path))
    schema_text = resources.files("reviewcoder").joinpath("data", "schemas", "refi-qda-project-1.0.xsd").read_bytes()
    schema = etree.XMLSchema(etree.fromstring(schema_text))
    doc = etree.fromstring(qde)
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
