"""Pull every coder's codes from a doccano project into the store, exactly.

How (doccano 1.8.4, collaborative annotation off): the label endpoints only show the caller's own
labels, so the codes come from doccano's export, which writes one file per project member. Two exports
are read: every example (for the labels) and only the examples each member confirmed (doccano's
"confirm" mark: the coder finished that unit). A confirmed example without labels is "coded, no
theme applies"; an example neither labelled nor confirmed is "not coded".

Everything is fetched and checked first; then the store is changed in one transaction
(``replace_coder_state`` per coder), so a pull that fails midway leaves the store as it was, a second
pull adds nothing, and codes changed or deleted in doccano change the store with the old ones kept in
its history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from ..codebook import Codebook
from ..errors import CodebookError, SyncError
from ..records import Annotation, Completion, Document
from .doccano import DoccanoClient, ProjectInfo

REVIEW_TAG = "reviewcoder:review"

__all__ = [
    "PullResult", "pull_project", "project_scope", "check_project", "load_label_mapping", "LabelMapper",
    "META_DOC", "META_ITEM", "META_START", "META_END", "DEFAULT_MODEL_USERS",
]

# Keys reviewcoder puts in each example's meta when it pushes units (see push.py). doccano's export
# spreads meta into each record, so none of them may be a field doccano writes itself (id, text, label).
META_DOC = "rc_doc"
META_ITEM = "rc_item"
META_START = "rc_start"
META_END = "rc_end"
DEFAULT_MODEL_USERS = ("reviewcoder-model",)


def project_scope(url: str, project_id: int) -> str:
    """The origin prefix of everything pulled from one project (ends in '/': project 3 is not 31)."""
    return f"doccano:{url.rstrip('/')}/projects/{int(project_id)}/"


def check_project(info: ProjectInfo) -> None:
    """Refuse projects whose codes cannot be pulled per coder."""
    if info.label_kind is None:
        raise SyncError(
            f"doccano project {info.id} ({info.name!r}) is a {info.project_type} project; reviewcoder pulls "
            "DocumentClassification projects (unit codes) and SequenceLabeling projects (spans)"
        )
    if info.collaborative:
        raise SyncError(
            f"doccano project {info.id} ({info.name!r}) has collaborative annotation on: its export merges every "
            "coder's labels without saying whose they are; turn it off in the project settings to pull per coder"
        )


@dataclass(frozen=True)
class PullResult:
    project: int
    project_type: str
    scope: str
    examples: int
    documents_added: int
    coders: Mapping[str, Mapping[str, int]]
    requests: int
    skipped_members: tuple[str, ...] = ()
    absent_coders: tuple[str, ...] = ()  # coders pulled before who are no longer members: left unchanged

    def totals(self) -> dict[str, int]:
        out = {"added": 0, "removed": 0, "changed": 0, "unchanged": 0, "completed": 0}
        for counts in self.coders.values():
            for key in out:
                out[key] += int(counts.get(key, 0))
        return out


# -- labels -> themes -------------------------------------------------------------------------------------
def load_label_mapping(path: str | Path) -> dict[str, str | None]:
    """Read a mapping file: doccano label -> theme id (YAML or JSON object; null/empty = ignore that label)."""
    path = Path(path)
    if not path.is_file():
        raise CodebookError(f"Label mapping {path} does not exist; give a YAML or JSON file of 'doccano label: theme_id'")
    text = path.read_text(encoding="utf-8-sig")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # yaml and json raise different types; the message is what matters
        raise CodebookError(f"Label mapping {path} cannot be parsed ({type(exc).__name__}); fix its syntax") from None
    if not isinstance(data, dict):
        raise CodebookError(f"Label mapping {path} must be a mapping 'doccano label: theme_id'; got {type(data).__name__}")
    return {str(k): (None if v in (None, "") else str(v)) for k, v in data.items()}


class LabelMapper:
    """doccano label text -> codebook theme id: a mapping entry, else the theme id, else the theme name."""

    def __init__(self, codebook: Codebook, mapping: Mapping[str, str | None] | None = None, where: str = "mapping") -> None:
        self.codebook = codebook
        self.mapping = dict(mapping or {})
        bad = sorted({v for v in self.mapping.values() if v is not None} - set(codebook.theme_ids))
        if bad:
            raise CodebookError(
                f"Label mapping {where} maps to {bad}, which are not themes of codebook {codebook.id} "
                f"(known: {', '.join(codebook.theme_ids)}); fix the mapping"
            )
        self._by_text: dict[str, str] = {}
        for theme in codebook.themes:
            self._by_text.setdefault(theme.name, theme.id)
            self._by_text.setdefault(theme.name.casefold(), theme.id)
        for theme in codebook.themes:  # ids win over names
            self._by_text[theme.id] = theme.id

    def theme(self, label: str) -> str | None:
        """The theme for ``label``; None means 'ignore this label'. Raises KeyError when unknown."""
        if label in self.mapping:
            return self.mapping[label]
        for key in (label, label.strip(), label.strip().casefold()):
            if key in self._by_text:
                return self._by_text[key]
        raise KeyError(label)

    def check(self, labels: Iterable[str], where: str) -> None:
        unknown = []
        for label in sorted(set(labels)):
            try:
                self.theme(label)
            except KeyError:
                unknown.append(label)
        if unknown:
            raise CodebookError(
                f"doccano labels {unknown} in {where} are not themes of codebook {self.codebook.id} (known ids: "
                f"{', '.join(self.codebook.theme_ids)}); pass --mapping FILE with lines 'doccano label: theme_id' "
                "(or 'doccano label: null' to skip one), or --codebook with a codebook that has them"
            )


# -- the pull ---------------------------------------------------------------------------------------------
@dataclass
class _Unit:
    example_id: int
    doc_id: str
    item: str
    base: int
    text: str
    pushed: bool


@dataclass
class _Plan:
    documents: list[Document] = field(default_factory=list)
    annotations: dict[str, list[Annotation]] = field(default_factory=dict)
    completions: dict[str, list[Completion]] = field(default_factory=dict)


def _export_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False) if not isinstance(value, (str, int)) else str(value)


def _units(client: DoccanoClient, info: ProjectInfo) -> dict[str, _Unit]:
    """Every example of the project, keyed as doccano's export names it (its meta 'id' wins over the example id)."""
    units: dict[str, _Unit] = {}
    for ex in client.examples(info.id):
        meta = ex.get("meta") or {}
        eid = int(ex["id"])
        text = ex.get("text") or ""
        if META_ITEM in meta and META_DOC in meta:
            try:
                base = int(meta.get(META_START, 0))
            except (TypeError, ValueError):
                raise SyncError(
                    f"doccano example {eid} of project {info.id} has meta {META_START}={meta.get(META_START)!r}, not "
                    "a whole number; it was edited by hand: restore it or remove the example"
                ) from None
            unit = _Unit(eid, str(meta[META_DOC]), str(meta[META_ITEM]), base, text, True)
        else:
            doc_id = str(meta["id"]) if meta.get("id") not in (None, "") else f"doccano-{info.id}-{eid}"
            unit = _Unit(eid, doc_id, doc_id, 0, text, False)
        key = _export_key(meta["id"]) if "id" in meta else str(eid)
        if key in units:
            raise SyncError(
                f"doccano project {info.id}: examples {units[key].example_id} and {eid} share the export id {key!r} "
                "(a meta field 'id' overrides doccano's own example id in its export); give each example a unique "
                "meta 'id' or remove it"
            )
        units[key] = unit
    return units


def _units_from_export(*exports: Mapping[str, list[dict]]) -> dict[str, _Unit] | None:
    """The units, read from the export records alone, when every example carries reviewcoder's meta (the
    usual case: listing 5,000 examples costs doccano about 25 s). None when some example does not."""
    units: dict[str, _Unit] = {}
    for export in exports:
        for records in export.values():
            for r in records:
                if META_ITEM not in r or META_DOC not in r or r.get(META_ITEM) is None:
                    return None
                key = _export_key(r.get("id"))
                if key not in units:
                    try:
                        base = int(r.get(META_START) or 0)
                    except (TypeError, ValueError):
                        return None
                    units[key] = _Unit(int(r["id"]), str(r[META_DOC]), str(r[META_ITEM]), base, str(r.get("text") or ""),
                                       True)
    return units


def _record_labels(record: Mapping[str, Any], kind: str) -> list[tuple[str, int | None, int | None]]:
    """(label, start, end) of one export record; start/end None for categories."""
    out: list[tuple[str, int | None, int | None]] = []
    if kind == "category":
        for label in record.get("label") or []:
            out.append((str(label), None, None))
        return out
    spans = record.get("label")
    if spans is None:
        spans = record.get("entities") or []
    for span in spans:
        if isinstance(span, Mapping):
            out.append((str(span["label"]), int(span["start_offset"]), int(span["end_offset"])))
        else:
            start, end, label = span
            out.append((str(label), int(start), int(end)))
    return out


def pull_project(
    client: DoccanoClient,
    project_id: int,
    store,
    codebook: Codebook,
    *,
    mapping: Mapping[str, str | None] | None = None,
    model_users: Iterable[str] = DEFAULT_MODEL_USERS,
    add_documents: bool = True,
    progress: Callable[[str], None] | None = None,
) -> PullResult:
    """Bring every member's codes and confirmations of doccano project ``project_id`` into ``store``.

    Coders are doccano usernames; members named in ``model_users`` are stored as ``model:<username>``
    with source "model". In a review project (tag ``reviewcoder:review``) coders saw the model's
    suggestions, so their codes are stored as ``review:<username>`` with source "review", apart from
    their independent codes. Examples that reviewcoder pushed map back to their document, unit and offsets
    through their meta; other examples become documents ``<meta id>`` or ``doccano-<project>-<example>``.
    """
    say = progress or (lambda _msg: None)
    before = client.stats.requests
    info = client.project(project_id)
    check_project(info)
    kind = info.label_kind or "category"
    scope = project_scope(client.url, info.id)
    model_users = set(model_users)
    review = REVIEW_TAG in info.tags

    say(f"exporting project {info.id} (every example, and each member's confirmed ones)")
    everything, confirmed = client.exports(info.id, (False, True))
    units = _units_from_export(everything, confirmed)
    if units is None:  # some examples were not pushed by reviewcoder: their ids need the examples list
        say(f"listing the examples of project {info.id}")
        units = _units(client, info)

    mapper = LabelMapper(codebook, mapping)
    labels_seen = [lab for recs in everything.values() for r in recs for lab, _, _ in _record_labels(r, kind)]
    mapper.check(labels_seen, f"doccano project {info.id}")

    def unit_of(record: Mapping[str, Any], username: str) -> _Unit:
        key = _export_key(record.get("id"))
        if key not in units:
            raise SyncError(
                f"doccano's export of project {info.id} ({username}.jsonl) names example {key!r}, which the examples list "
                "did not have; examples changed during the pull: pull again"
            )
        return units[key]

    plan = _Plan()
    members = set(everything) | set(confirmed)
    for username in sorted(members):
        is_model = username in model_users
        if is_model:
            coder, source = f"model:{username}", "model"
        elif review:  # codes made with the model's suggestions in view: never mixed with independent codes
            coder, source = f"review:{username}", "review"
        else:
            coder, source = username, "human"
        anns: dict[tuple, Annotation] = {}
        for record in everything.get(username, []):
            unit = unit_of(record, username)
            origin = f"{scope}examples/{unit.example_id}"
            for label, start, end in _record_labels(record, kind):
                theme = mapper.theme(label)
                if theme is None:
                    continue
                if start is not None:
                    if not (0 <= start < end <= len(unit.text)):  # type: ignore[operator]
                        raise SyncError(
                            f"doccano example {unit.example_id} of project {info.id}: {username}'s span {start}-{end} "
                            f"lies outside its text ({len(unit.text)} characters); fix or delete that span in doccano"
                        )
                    start, end = start + unit.base, end + unit.base  # type: ignore[operator]
                a = Annotation(doc_id=unit.doc_id, coder=coder, theme=theme, item=unit.item, start=start, end=end,
                               value="1", source=source, origin=origin)
                anns.setdefault((a.item, a.theme, a.start, a.end), a)
        comps = {}
        for record in confirmed.get(username, []):
            unit = unit_of(record, username)
            comps.setdefault(unit.item, Completion(doc_id=unit.doc_id, item=unit.item, coder=coder,
                                                   origin=f"{scope}examples/{unit.example_id}"))
        plan.annotations[coder] = list(anns.values())
        plan.completions[coder] = list(comps.values())

    if add_documents:
        plan.documents = _documents_to_add(store, units.values(), info)

    _check_no_overlap(store, scope, plan)
    say("writing to the store")
    results: dict[str, dict[str, int]] = {}
    skipped: list[str] = []
    with store.transaction():
        added_docs = store.add_documents(plan.documents) if plan.documents else 0
        had_state = _coders_with_state(store, scope)
        for coder in sorted(plan.annotations):
            anns, comps = plan.annotations[coder], plan.completions[coder]
            if not anns and not comps and coder not in had_state:
                skipped.append(coder)  # a member who never coded here (often the admin): not a coder
                continue
            counts = dict(store.replace_coder_state(coder, scope, anns, comps))
            counts["completed"] = len(comps)
            results[coder] = counts
        # coders with codes from earlier pulls who are no longer project members: doccano's export leaves
        # them out, but removing a member deletes none of their work, so their codes stay as they are
        absent = sorted(had_state - set(plan.annotations))
    return PullResult(
        project=info.id, project_type=info.project_type, scope=scope, examples=len(units), documents_added=added_docs,
        coders=results, requests=client.stats.requests - before, skipped_members=tuple(skipped),
        absent_coders=tuple(absent),
    )


def _check_no_overlap(store, scope: str, plan: _Plan) -> None:
    """One coder, one code per unit and theme: refuse codes that the store already holds from elsewhere."""
    pulled = {(coder, a.item, a.theme, a.start, a.end) for coder, anns in plan.annotations.items() for a in anns}
    if not pulled:
        return
    clashes = [
        (a.coder, a.item, a.theme, a.origin) for a in store.annotations()
        if not a.origin.startswith(scope) and (a.coder, a.item, a.theme, a.start, a.end) in pulled
    ]
    if clashes:
        coder, item, theme, origin = clashes[0]
        raise SyncError(
            f"coder {coder!r} already has {theme!r} on {item!r} in the store from {origin or 'an import'} "
            f"({len(clashes)} such code(s)); a coder codes a unit once: pull this project into another store, "
            "or remove the other copy first"
        )


def _coders_with_state(store, scope: str) -> set[str]:
    coders = {a.coder for a in store.annotations() if a.origin.startswith(scope)}
    coders |= {c.coder for c in store.completions() if c.origin.startswith(scope)}
    return coders


def _documents_to_add(store, units: Iterable[_Unit], info: ProjectInfo) -> list[Document]:
    """Examples that did not come from this store become documents; pushed ones must still match their document."""
    known = {d.id: d for d in store.documents()}
    new: dict[str, Document] = {}
    for unit in units:
        doc = known.get(unit.doc_id)
        if unit.pushed:
            if doc is not None and doc.text[unit.base: unit.base + len(unit.text)] != unit.text:
                raise SyncError(
                    f"doccano example {unit.example_id} of project {info.id} ({unit.item}) no longer matches document "
                    f"{unit.doc_id!r} in the store at offset {unit.base}; the text was edited in doccano or the store "
                    "holds another version: pull into the store it was pushed from"
                )
            continue
        if doc is None and unit.doc_id not in new:
            new[unit.doc_id] = Document(
                id=unit.doc_id, text=unit.text,
                meta={"source": f"doccano project {info.id}", "doccano_example": unit.example_id},
            )
        elif doc is not None and doc.text != unit.text:
            raise SyncError(
                f"doccano example {unit.example_id} of project {info.id} has id {unit.doc_id!r}, but the store's document "
                "with that id has other text; give the example another meta 'id' or use another store"
            )
    return list(new.values())
