"""The review loop: model suggestions out to coders, their decisions back, acceptance per theme.

Suggestions only ever go to a *review* project (tagged ``reviewcoder:review``), never to a double-coded
one: a coder who sees the model's labels is no longer an independent coder. Two ways out:

1. doccano's auto-labeling: ``review setup`` configures the project to call ``reviewcoder serve`` (a
   loopback endpoint); a coder presses the auto-label button, doccano saves the returned labels as that
   coder's own (doccano drops the score). ``serve`` logs every suggestion it makes in the store.
2. a dedicated model user (default ``reviewcoder-model``): ``post_suggestions`` posts its labels with
   their scores (doccano's ``prob``), and logs them in the store the same way.

Back: after the coders review and confirm units, ``sync pull`` brings their labels into the store and
``review_stats`` compares them with the log, unit by unit, per theme: kept (suggested and still there),
removed (suggested, gone), added (there, not suggested). Only units a coder confirmed count, since an
unconfirmed unit may simply not have been reviewed yet.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from .codebook import Codebook
from .errors import ModelError, SyncError
from .records import Suggestion

__all__ = [
    "Suggester", "UnitIndex", "ReviewSetup", "ThemeStats", "ReviewStats", "setup_review", "post_suggestions",
    "review_stats", "auto_labeling_config", "non_overlapping", "REVIEW_TAG", "CODING_TAG", "MODEL_USER",
]

REVIEW_TAG = "reviewcoder:review"  # the same tag sync.pull and sync.push use
CODING_TAG = "reviewcoder:coding"
MODEL_USER = "reviewcoder-model"
CUSTOM_REST = "Custom REST Request"


# -- the model side ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Suggester:
    """What serve and post_suggestions need from a model: ``suggest(text)`` -> list of
    ``{"theme", "score", "start", "end", "text"}`` (offsets into ``text``), its id and codebook fingerprint."""

    suggest: Callable[[str], list[dict]]
    model_id: str
    codebook: str
    theme_ids: tuple[str, ...] = ()

    @classmethod
    def from_model(cls, model: Any) -> "Suggester":
        """Wrap a model loaded by ``reviewcoder.artifacts.load_model``; suggestions from ``precode.suggest``."""
        from . import precode  # the classifier side; imported only when a real model is used

        model_id = _first_attr(model, ("model_id", "id", "name")) or "model"
        codebook = _first_attr(model, ("codebook_fingerprint", "fingerprint"))
        cb = getattr(model, "codebook", None)
        if not codebook and cb is not None and hasattr(cb, "fingerprint"):
            codebook = cb.fingerprint()
        theme_ids = tuple(getattr(model, "theme_ids", None) or (cb.theme_ids if cb is not None else ()))
        return cls(suggest=lambda text: precode.suggest(model, text), model_id=str(model_id), codebook=str(codebook or ""),
                   theme_ids=theme_ids)

    def __call__(self, text: str) -> list[dict]:
        out = []
        for s in self.suggest(text):
            start, end = int(s.get("start", 0)), int(s.get("end", len(text)))
            if not (0 <= start <= end <= len(text)):
                raise ModelError(f"model {self.model_id} suggested {s.get('theme')!r} at {start}-{end}, outside a text of "
                                 f"{len(text)} characters")
            out.append({"theme": str(s["theme"]), "score": float(s["score"]), "start": start, "end": end})
        return out


def _first_attr(obj: Any, names: Sequence[str]) -> Any:
    for name in names:
        value = getattr(obj, name, None)
        if isinstance(value, (str, int)) and str(value):
            return value
    meta = getattr(obj, "meta", None)
    if isinstance(meta, Mapping):
        for name in names:
            if meta.get(name):
                return meta[name]
    return None


def non_overlapping(suggestions: Sequence[Mapping[str, Any]]) -> list[dict]:
    """The spans doccano keeps from an auto-labeling answer: sorted by start, each span that overlaps the
    last one kept is dropped (doccano 1.8.4 does this whatever the themes). Serve applies it for span
    projects so that its log holds exactly what coders were shown."""
    kept: list[dict] = []
    last_start, last_end = 0, 0
    for s in sorted(suggestions, key=lambda x: int(x["start"])):
        start, end = int(s["start"]), int(s["end"])
        if not (last_end <= start or end <= last_start):
            continue
        kept.append(dict(s))
        last_start, last_end = start, end
    return kept


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class UnitIndex:
    """Finds the store's unit for a text that doccano sends (doccano's auto-labeling sends only the text)."""

    def __init__(self, store=None) -> None:
        self._units: dict[str, tuple[str, str, int]] = {}
        if store is None:
            return
        for doc in store.documents():
            self._units.setdefault(text_key(doc.text), (doc.id, doc.id, 0))
        for seg in store.segments(kind="paragraph"):
            self._units.setdefault(text_key(seg.text), (seg.doc_id, seg.unit_id, seg.start))

    def __len__(self) -> int:
        return len(self._units)

    def find(self, text: str) -> tuple[str, str, int] | None:
        """(doc_id, item, offset of the text in its document), or None for a text that is no unit of the store."""
        return self._units.get(text_key(text))


def log_suggestions(store, suggester: Suggester, text: str, suggestions: Iterable[Mapping[str, Any]],
                    index: UnitIndex) -> int:
    """Record what was suggested for ``text`` in the store (document offsets). Returns how many were new.

    Texts that are no unit of the store (doccano's connection test, say) are not logged: nothing pulled
    could ever be compared with them.
    """
    unit = index.find(text)
    if unit is None:
        return 0
    doc_id, item, base = unit
    records = [
        Suggestion(doc_id=doc_id, item=item, theme=s["theme"], score=min(1.0, max(0.0, float(s["score"]))),
                   start=base + int(s["start"]), end=base + int(s["end"]), model_id=suggester.model_id,
                   codebook=suggester.codebook)
        for s in suggestions
    ]
    return store.add_suggestions(records) if records else 0


# -- setting up a review project --------------------------------------------------------------------------
@dataclass(frozen=True)
class ReviewSetup:
    project: int
    task_type: str
    config_id: int
    created: bool
    labels_created: int
    tested: bool


def auto_labeling_config(serve_url: str, kind: str, label_mapping: Mapping[str, str]) -> dict:
    """doccano's auto-labeling config that calls ``reviewcoder serve`` and maps theme ids to label texts."""
    if kind == "span":
        item = '{"label": "{{ s.theme }}", "start_offset": {{ s.start }}, "end_offset": {{ s.end }}}'
        task_type = "Span"
    else:
        item = '{"label": "{{ s.theme }}"}'
        task_type = "Category"
    template = "[{% for s in input.suggestions %}" + item + "{% if not loop.last %},{% endif %}{% endfor %}]"
    return {
        "model_name": CUSTOM_REST,
        "model_attrs": {"url": serve_url, "method": "POST", "params": {"kind": "span"} if kind == "span" else {},
                        "headers": {}, "body": {"text": "{{ text }}"}},
        "template": template,
        "label_mapping": dict(label_mapping),
        "task_type": task_type,
    }


def _check_review_project(info) -> None:
    from .sync.pull import check_project

    check_project(info)
    if CODING_TAG in info.tags:
        raise SyncError(
            f"doccano project {info.id} ({info.name!r}) is tagged {CODING_TAG!r}: it is double-coded, and coders who see "
            "the model's suggestions are no longer independent; push the units to a separate review project "
            "(reviewcoder sync push --new-project NAME --role review) and set that one up"
        )


def setup_review(client, project_id: int, codebook: Codebook, serve_url: str, *, label_style: str = "name",
                 test_text: str | None = None) -> ReviewSetup:
    """Configure doccano's auto-labeling on a review project to call ``reviewcoder serve`` at ``serve_url``.

    Tags the project ``reviewcoder:review`` (refusing double-coded ones), makes sure the codebook's labels
    exist, and creates or updates one auto-labeling config. With ``test_text``, asks doccano to call the
    endpoint once, which proves doccano can reach it.
    """
    from .sync.push import ensure_labels, label_text

    info = client.project(project_id)
    _check_review_project(info)
    if REVIEW_TAG not in info.tags:
        client.add_tag(info.id, REVIEW_TAG)
    _, labels_created, _ = ensure_labels(client, info, codebook, label_style)
    kind = info.label_kind or "category"
    mapping = {t.id: label_text(t, label_style) for t in codebook.themes}
    config = auto_labeling_config(serve_url, kind, mapping)
    existing = [c for c in client.auto_labeling_configs(info.id) if c.get("model_name") == CUSTOM_REST
                and "input.suggestions" in str(c.get("template", ""))]
    if existing:
        saved = client.update_auto_labeling_config(info.id, int(existing[0]["id"]), config)
        created = False
    else:
        saved = client.create_auto_labeling_config(info.id, config)
        created = True
    tested = False
    if test_text is not None:
        try:
            answer = client.test_auto_labeling_request(info.id, config, test_text)
        except SyncError as exc:
            raise SyncError(
                f"doccano could not call {serve_url} ({exc}); start `reviewcoder serve` where doccano's server can "
                "reach it (the same machine: --serve-url http://127.0.0.1:PORT/suggest), or pass --no-test"
            ) from None
        if not isinstance(answer, Mapping) or "suggestions" not in answer:
            raise SyncError(f"doccano reached {serve_url} but the answer was not reviewcoder's ({str(answer)[:80]}); "
                            "is `reviewcoder serve` running there?")
        tested = True
    return ReviewSetup(project=info.id, task_type=config["task_type"], config_id=int(saved["id"]), created=created,
                       labels_created=labels_created, tested=tested)


def post_suggestions(model_client, project_id: int, store, suggester: Suggester, codebook: Codebook, *,
                     label_style: str = "name", progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Post the model's suggestions as labels of the logged-in model user (``prob`` = score), and log them.

    ``model_client`` is a DoccanoClient logged in as the dedicated model user, a member of the review
    project. Labels it already has are not posted again. Returns counts.
    """
    from .sync.push import label_text

    info = model_client.project(project_id)
    _check_review_project(info)
    if REVIEW_TAG not in info.tags:
        raise SyncError(f"doccano project {info.id} is not a review project (tag {REVIEW_TAG!r}); run `reviewcoder review "
                        "setup` on it first")
    kind = info.label_kind or "category"
    by_text = {t.text: t.id for t in model_client.label_types(info.id, kind)}
    label_ids = {}
    for theme in codebook.themes:
        text = label_text(theme, label_style)
        if text in by_text:
            label_ids[theme.id] = by_text[text]
        elif theme.id in by_text:
            label_ids[theme.id] = by_text[theme.id]
    index = UnitIndex(store)
    examples = list(model_client.examples(info.id))
    counts = {"examples": len(examples), "suggested": 0, "posted": 0, "already_there": 0, "logged": 0}
    for n, ex in enumerate(examples, start=1):
        text = ex.get("text") or ""
        suggestions = [s for s in suggester(text) if s["theme"] in label_ids]
        if kind == "span" and not info.allow_overlapping:
            suggestions = non_overlapping(suggestions)
        if kind == "category":  # one label per theme: its best evidence (the model may give several spans)
            best: dict[str, dict] = {}
            for s in suggestions:
                if s["theme"] not in best or s["score"] > best[s["theme"]]["score"]:
                    best[s["theme"]] = s
            suggestions = list(best.values())
        counts["suggested"] += len(suggestions)
        counts["logged"] += log_suggestions(store, suggester, text, suggestions, index)
        have = {(int(lab["label"]), lab.get("start_offset"), lab.get("end_offset"))
                for lab in model_client.labels(info.id, int(ex["id"]), kind)}
        for s in suggestions:
            key = (label_ids[s["theme"]], s["start"] if kind == "span" else None, s["end"] if kind == "span" else None)
            if key in have:
                counts["already_there"] += 1
                continue
            model_client.create_label(info.id, int(ex["id"]), kind, label_ids[s["theme"]], start=s["start"],
                                      end=s["end"], prob=s["score"])
            counts["posted"] += 1
        if progress:
            progress(n, len(examples))
    return counts


# -- acceptance -------------------------------------------------------------------------------------------
@dataclass
class ThemeStats:
    suggested: int = 0
    kept: int = 0
    removed: int = 0
    added: int = 0

    @property
    def acceptance(self) -> float | None:
        """kept / suggested; None when nothing was suggested."""
        return self.kept / self.suggested if self.suggested else None

    def as_dict(self) -> dict[str, Any]:
        return {"suggested": self.suggested, "kept": self.kept, "removed": self.removed, "added": self.added,
                "acceptance": self.acceptance}


@dataclass
class ReviewStats:
    scope: str
    model_id: str
    units_reviewed: int
    coders: tuple[str, ...]
    themes: dict[str, ThemeStats] = field(default_factory=dict)
    by_coder: dict[str, ThemeStats] = field(default_factory=dict)

    def total(self) -> ThemeStats:
        out = ThemeStats()
        for t in self.themes.values():
            out.suggested += t.suggested
            out.kept += t.kept
            out.removed += t.removed
            out.added += t.added
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope, "model": self.model_id, "units_reviewed": self.units_reviewed,
            "coders": list(self.coders), "themes": {k: v.as_dict() for k, v in self.themes.items()},
            "by_coder": {k: v.as_dict() for k, v in self.by_coder.items()}, "total": self.total().as_dict(),
        }


def review_stats(store, scope: str, codebook: Codebook, *, model_id: str | None = None) -> ReviewStats:
    """Per theme: how many suggestions the coders of a review project kept, removed, and what they added.

    ``scope`` is the review project's origin prefix (``sync.pull.project_scope(url, id)``); run ``sync pull``
    first (it stores a review project's codes as coder ``review:<username>``, source "review"). Compared
    unit by unit, theme by theme, over the units each coder confirmed. Model users' labels are not
    coders' decisions and are left out.
    """
    suggestions = store.suggestions(model_id=model_id)
    completions = [c for c in store.completions() if c.origin.startswith(scope) and not c.coder.startswith("model:")]
    reviewed_items = {c.item for c in completions}
    models = sorted({s.model_id for s in suggestions if s.item in reviewed_items})
    if model_id is None and len(models) > 1:
        raise SyncError(f"the store holds suggestions of several models for these units ({', '.join(models)}); "
                        "pick one with --model-id")
    if not completions:
        raise SyncError(f"no coder has confirmed a unit of {scope} in the store; run `reviewcoder sync pull` after the "
                        "coders have reviewed and marked units done")
    suggested: dict[str, set[str]] = {}
    for s in suggestions:
        suggested.setdefault(s.item, set()).add(s.theme)
    coded: dict[tuple[str, str], set[str]] = {}
    for a in store.annotations(source="review"):
        if a.origin.startswith(scope):
            coded.setdefault((a.coder, a.item), set()).add(a.theme)
    stats = ReviewStats(scope=scope, model_id=model_id or (models[0] if models else ""),
                        units_reviewed=len({(c.coder, c.item) for c in completions}),
                        coders=tuple(sorted({c.coder for c in completions})),
                        themes={t: ThemeStats() for t in codebook.theme_ids})
    for c in completions:
        s_themes = suggested.get(c.item, set())
        c_themes = coded.get((c.coder, c.item), set())
        per_coder = stats.by_coder.setdefault(c.coder, ThemeStats())
        for theme in s_themes | c_themes:
            t = stats.themes.setdefault(theme, ThemeStats())
            if theme in s_themes:
                t.suggested += 1
                per_coder.suggested += 1
                if theme in c_themes:
                    t.kept += 1
                    per_coder.kept += 1
                else:
                    t.removed += 1
                    per_coder.removed += 1
            else:
                t.added += 1
                per_coder.added += 1
    return stats
