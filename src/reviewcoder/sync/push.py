"""Push documents (as coding units), the codebook (as labels) and project members to doccano.

A second push creates nothing twice: labels are matched by their text, examples by the unit id kept
in their meta (``rc_item``), members by username.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from ..codebook import Codebook, Theme
from ..errors import SyncError
from ..records import Segment
from .doccano import DoccanoClient, ProjectInfo
from .pull import META_DOC, META_END, META_ITEM, META_START, check_project

__all__ = [
    "PushResult", "push_project", "ensure_labels", "label_text", "codebook_guideline", "units_from_store",
    "PROJECT_KINDS", "ROLE_TAGS", "GUIDELINE_MARK",
]

PROJECT_KINDS = {"category": "DocumentClassification", "span": "SequenceLabeling"}
ROLE_TAGS = {"coding": "reviewcoder:coding", "review": "reviewcoder:review"}
GUIDELINE_MARK = "<!-- reviewcoder codebook"
# Colour-blind-safe palette (Okabe-Ito, then Tol's muted) for themes without a colour of their own.
_PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#CC79A7", "#882255", "#117733",
            "#332288", "#AA4499", "#44AA99", "#999933", "#661100", "#6699CC", "#888888")


@dataclass(frozen=True)
class PushResult:
    project: int
    project_type: str
    created_project: bool
    labels_created: int
    labels_updated: int
    examples_created: int
    examples_existing: int
    members_added: tuple[str, ...]
    guideline_written: bool
    requests: int


def label_text(theme: Theme, style: str = "name") -> str:
    """What coders see in doccano: the theme's name (default; its id when the name is over doccano's 100
    characters) or its id."""
    if style not in ("name", "id"):
        raise ValueError(f"label style must be 'name' or 'id'; got {style!r}")
    if style == "id" or len(theme.name) > 100 or not theme.name.strip():
        return theme.id
    return theme.name


def _colour(theme: Theme, index: int) -> str:
    colour = (theme.color or "").strip()
    if len(colour) == 7 and colour.startswith("#"):
        return colour
    return _PALETTE[index % len(_PALETTE)]


def codebook_guideline(codebook: Codebook, style: str = "name") -> str:
    """The codebook as a doccano guideline (Markdown): every theme's label, id, kind, definition, guidance."""
    lines = [
        f"{GUIDELINE_MARK} {codebook.fingerprint()} -->",
        f"# {codebook.name}",
        "",
        f"Codebook `{codebook.id}` version {codebook.version} (fingerprint `{codebook.fingerprint()}`). "
        "Code a case feature when the unit shows it present in the case; code a practice concern only when "
        "the unit shows the shortfall. When you have finished a unit, mark it done (the check mark), even "
        "when no theme applies: that tells 'no theme' apart from 'not coded yet'.",
        "",
    ]
    for theme in codebook.themes:
        lines.append(f"## {label_text(theme, style)}")
        lines.append("")
        lines.append(f"id `{theme.id}`, {theme.kind.replace('_', ' ')}. {theme.definition}")
        for text in theme.include:
            lines.append(f"- Include: {text}")
        for text in theme.exclude:
            lines.append(f"- Exclude: {text}")
        lines.append("")
    return "\n".join(lines)


def ensure_labels(client: DoccanoClient, info: ProjectInfo, codebook: Codebook, style: str = "name") -> tuple[dict[str, int], int, int]:
    """Make sure every theme is a label of the project. Returns ({theme id: label type id}, created, updated)."""
    kind = info.label_kind or "category"
    existing = {t.text: t for t in client.label_types(info.id, kind)}
    ids: dict[str, int] = {}
    created = updated = 0
    for i, theme in enumerate(codebook.themes):
        text = label_text(theme, style)
        colour = _colour(theme, i)
        found = existing.get(text) or existing.get(theme.id)
        if found is None:
            found = client.create_label_type(info.id, kind, text, colour)
            created += 1
        elif found.background_color.lower() != colour.lower():
            client.update_label_type(info.id, kind, found.id, background_color=colour)
            updated += 1
        ids[theme.id] = found.id
    return ids, created, updated


def units_from_store(store, unit: str = "paragraph", doc_ids: Sequence[str] | None = None) -> list[Segment]:
    """The coding units to push: the store's paragraphs, or whole documents (``unit="document"``)."""
    wanted = set(doc_ids) if doc_ids else None
    if unit == "document":
        docs = [d for d in store.documents() if wanted is None or d.id in wanted]
        out = [Segment(doc_id=d.id, kind="paragraph", start=0, end=len(d.text), index=0, text=d.text) for d in docs]
    elif unit == "paragraph":
        out = [s for s in store.segments(kind="paragraph") if wanted is None or s.doc_id in wanted]
    else:
        raise SyncError(f"--unit must be paragraph or document, not {unit!r}")
    if wanted is not None:
        missing = sorted(wanted - {s.doc_id for s in out})
        if missing:
            raise SyncError(f"documents {missing[:10]} are not in the store (or have no text); import them first")
    out = [s for s in out if s.text.strip()]
    if not out:
        raise SyncError("the store has no units to push (no documents with text); add reviews first "
                        "(reviewcoder import REVIEWS --store ...)")
    return out


def push_project(
    client: DoccanoClient,
    store,
    codebook: Codebook,
    *,
    project_id: int | None = None,
    new_project: str | None = None,
    kind: str = "category",
    unit: str = "paragraph",
    doc_ids: Sequence[str] | None = None,
    members: Iterable[str] = (),
    role: str = "coding",
    label_style: str = "name",
    progress: Callable[[str], None] | None = None,
) -> PushResult:
    """Send units, labels and members to a doccano project (``project_id``, or a new one named ``new_project``).

    ``kind`` picks the project type of a new project: "category" (unit codes, DocumentClassification) or
    "span" (SequenceLabeling). ``role`` tags the project as a double-coding project ("coding") or a
    review project ("review"); suggestions are only ever sent to review projects.
    """
    say = progress or (lambda _msg: None)
    before = client.stats.requests
    if role not in ROLE_TAGS:
        raise SyncError(f"role must be one of {sorted(ROLE_TAGS)}, not {role!r}")
    if (project_id is None) == (new_project is None):
        raise SyncError("give either --project ID (an existing project) or --new-project NAME")
    created_project = False
    if project_id is None:
        if kind not in PROJECT_KINDS:
            raise SyncError(f"--kind must be category or span, not {kind!r}")
        info = client.create_project(
            str(new_project), PROJECT_KINDS[kind], description=f"{codebook.name} ({role})",
            guideline=codebook_guideline(codebook, label_style), tags=(ROLE_TAGS[role],),
            allow_overlapping=(kind == "span"),
        )
        created_project = True
        say(f"created project {info.id} ({info.project_type})")
    else:
        info = client.project(project_id)
        check_project(info)
        other = ROLE_TAGS["review" if role == "coding" else "coding"]
        if other in info.tags:
            raise SyncError(
                f"doccano project {info.id} is tagged {other!r}; a project is either double-coded or a review "
                "project, never both: push to another project"
            )
        if ROLE_TAGS[role] not in info.tags:
            client.add_tag(info.id, ROLE_TAGS[role])

    guideline_written = False
    if not created_project and (not info.guideline.strip() or info.guideline.startswith(GUIDELINE_MARK)):
        text = codebook_guideline(codebook, label_style)
        if text.strip() != info.guideline.strip():
            client.update_project(info, guideline=text)
            guideline_written = True
    elif created_project:
        guideline_written = True

    say("labels")
    _, labels_created, labels_updated = ensure_labels(client, info, codebook, label_style)

    say("members")
    added_members = _ensure_members(client, info, members)

    say("examples")
    units = units_from_store(store, unit, doc_ids)
    existing = set()
    for ex in client.examples(info.id):
        meta = ex.get("meta") or {}
        if META_ITEM in meta:
            existing.add(str(meta[META_ITEM]))
    created = 0
    for seg in units:
        item = seg.doc_id if unit == "document" else seg.unit_id
        if item in existing:
            continue
        client.create_example(info.id, seg.text, {META_DOC: seg.doc_id, META_ITEM: item, META_START: seg.start,
                                                  META_END: seg.end})
        existing.add(item)
        created += 1
    return PushResult(
        project=info.id, project_type=info.project_type, created_project=created_project,
        labels_created=labels_created, labels_updated=labels_updated, examples_created=created,
        examples_existing=len(units) - created, members_added=tuple(added_members),
        guideline_written=guideline_written, requests=client.stats.requests - before,
    )


def _ensure_members(client: DoccanoClient, info: ProjectInfo, usernames: Iterable[str]) -> list[str]:
    wanted = [u.strip() for u in usernames if u and u.strip()]
    if not wanted:
        return []
    current = {m.username for m in client.members(info.id)}
    todo = [u for u in wanted if u not in current]
    if not todo:
        return []
    users = {u["username"]: int(u["id"]) for u in client.users()}
    missing = [u for u in todo if u not in users]
    if missing:
        raise SyncError(
            f"doccano at {client.url} has no user(s) {missing}; create them first (doccano's admin page, "
            f"{client.url}/admin/auth/user/add/) and push again"
        )
    role_id = client.roles().get("annotator")
    if role_id is None:
        raise SyncError(f"doccano at {client.url} has no 'annotator' role; was it initialised (doccano init)?")
    for username in todo:
        client.add_member(info.id, users[username], role_id)
    return todo
