"""The codebook as data: themes with definitions, loaded from YAML, validated, fingerprinted.

Nothing else in reviewcoder hard-codes theme ids: everything takes a Codebook.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

from .errors import CodebookError

__all__ = ["Theme", "Codebook", "load_codebook", "default_codebook", "DEFAULT_CODEBOOK_ID", "THEME_KINDS"]

THEME_KINDS = ("case_feature", "practice_concern")
DEFAULT_CODEBOOK_ID = "panel-2018-19"
FORMAT_VERSION = 1
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Theme:
    """One theme: a stable snake_case ``id``, what coders read, and how to apply it."""

    id: str
    name: str
    kind: str
    definition: str
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    color: str = ""


@dataclass(frozen=True)
class Codebook:
    """An ordered set of themes. Theme order is the column order of every matrix and model."""

    id: str
    name: str
    version: int
    themes: tuple[Theme, ...]
    unit: str = "paragraph"
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        where = self.source or self.id
        if not self.themes:
            raise CodebookError(f"Codebook {where} has no themes; add at least one under 'themes:'")
        seen: dict[str, int] = {}
        for i, theme in enumerate(self.themes):
            if theme.id in seen:
                raise CodebookError(
                    f"Codebook {where}: theme id {theme.id!r} appears twice (themes #{seen[theme.id] + 1} and "
                    f"#{i + 1}); give each theme a unique id"
                )
            seen[theme.id] = i

    @property
    def theme_ids(self) -> list[str]:
        return [t.id for t in self.themes]

    def __len__(self) -> int:
        return len(self.themes)

    def __iter__(self):
        return iter(self.themes)

    def __getitem__(self, theme_id: str) -> Theme:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise CodebookError(
            f"Theme {theme_id!r} is not in codebook {self.id} (known: {', '.join(self.theme_ids)}); "
            "check the spelling or use a mapping file"
        )

    def __contains__(self, theme_id: object) -> bool:
        return theme_id in self.theme_ids

    def check_labels(self, labels: Iterable[str], where: str) -> None:
        """Raise CodebookError naming every label in ``labels`` that is not a theme id."""
        unknown = sorted({str(x) for x in labels} - set(self.theme_ids))
        if unknown:
            raise CodebookError(
                f"Themes {unknown} in {where} are not in codebook {self.id} (known: {', '.join(self.theme_ids)}); "
                "fix the labels, pass --codebook with a codebook that has them, or map them"
            )

    def fingerprint(self) -> str:
        """A short hash of everything that changes what a theme means (ids, order, kinds, definitions)."""
        payload = {
            "id": self.id,
            "version": self.version,
            "themes": [[t.id, t.kind, t.definition, list(t.include), list(t.exclude)] for t in self.themes],
        }
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        return f"{self.id}@{self.version}:{digest.hexdigest()[:12]}"

    def to_dict(self) -> dict[str, Any]:
        themes = []
        for t in self.themes:
            d = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(t).items()}
            themes.append({k: v for k, v in d.items() if v not in ("", [], ())})
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "format_version": FORMAT_VERSION,
            "unit": self.unit,
            "themes": themes,
        }

    def save(self, path: str | Path) -> Path:
        import yaml

        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True), encoding="utf-8")
        tmp.replace(path)
        return path


def _as_tuple(value: Any, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise CodebookError(f"{where}: '{key}' must be a list of strings; got {type(value).__name__}")


def codebook_from_dict(data: Any, source: str = "<dict>") -> Codebook:
    """Build and validate a Codebook from parsed YAML/JSON. Errors name the file and the theme."""
    if not isinstance(data, dict):
        raise CodebookError(f"Codebook {source}: expected a mapping with 'id' and 'themes'; got {type(data).__name__}")
    fmt = data.get("format_version", FORMAT_VERSION)
    if fmt != FORMAT_VERSION:
        raise CodebookError(
            f"Codebook {source} has format_version {fmt!r}; this reviewcoder reads format_version {FORMAT_VERSION}"
        )
    for key in ("id", "themes"):
        if key not in data:
            raise CodebookError(f"Codebook {source} has no '{key}'; add it at the top level")
    raw_themes = data["themes"]
    if not isinstance(raw_themes, list):
        raise CodebookError(f"Codebook {source}: 'themes' must be a list of themes; got {type(raw_themes).__name__}")
    themes = []
    for i, raw in enumerate(raw_themes, start=1):
        where = f"Codebook {source}, theme #{i}"
        if not isinstance(raw, dict):
            raise CodebookError(f"{where}: expected a mapping with id, name, kind, definition; got {raw!r}")
        theme_id = raw.get("id")
        if not isinstance(theme_id, str) or not _ID_RE.match(theme_id):
            raise CodebookError(f"{where}: id {theme_id!r} must be snake_case (a-z, 0-9, _), starting with a letter")
        where = f"Codebook {source}, theme {theme_id!r}"
        kind = raw.get("kind")
        if kind not in THEME_KINDS:
            raise CodebookError(f"{where}: unknown kind {kind!r}; use one of {', '.join(THEME_KINDS)}")
        definition = raw.get("definition")
        if not isinstance(definition, str) or not definition.strip():
            raise CodebookError(f"{where} has no definition; write one sentence or more telling coders when it applies")
        unknown = set(raw) - {"id", "name", "kind", "definition", "include", "exclude", "examples", "color"}
        if unknown:
            raise CodebookError(f"{where}: unknown field(s) {sorted(unknown)}; allowed are id, name, kind, "
                                "definition, include, exclude, examples, color")
        themes.append(
            Theme(
                id=theme_id,
                name=str(raw.get("name") or theme_id),
                kind=kind,
                definition=" ".join(definition.split()),
                include=_as_tuple(raw.get("include"), where, "include"),
                exclude=_as_tuple(raw.get("exclude"), where, "exclude"),
                examples=_as_tuple(raw.get("examples"), where, "examples"),
                color=str(raw.get("color") or ""),
            )
        )
    version = data.get("version", 1)
    if not isinstance(version, int):
        raise CodebookError(f"Codebook {source}: version must be an integer; got {version!r}")
    return Codebook(
        id=str(data["id"]),
        name=str(data.get("name") or data["id"]),
        version=version,
        themes=tuple(themes),
        unit=str(data.get("unit") or "paragraph"),
        source=source,
    )


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Load a codebook YAML file; with no path, the embedded default (panel-2018-19)."""
    import yaml

    if path is None or str(path) == DEFAULT_CODEBOOK_ID:
        text = resources.files("reviewcoder").joinpath("data", f"{DEFAULT_CODEBOOK_ID}.yaml").read_text("utf-8")
        source = DEFAULT_CODEBOOK_ID
    else:
        path = Path(path)
        if not path.is_file():
            raise CodebookError(f"Codebook file {path} does not exist; give the path of a codebook YAML file")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CodebookError(f"Codebook {path} is not UTF-8 text ({exc.reason}); save it as UTF-8") from None
        source = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise CodebookError(f"Codebook {source}{line} is not valid YAML ({getattr(exc, 'problem', exc)}); fix the syntax") from None
    return codebook_from_dict(data, source)


def default_codebook() -> Codebook:
    """The Panel's 2018-19 practice themes, embedded in the package."""
    return load_codebook(None)
