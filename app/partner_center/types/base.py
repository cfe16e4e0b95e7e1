"""What every typed result shares: case-insensitive reading of Partner Center's JSON, tolerant
parsing of its values, ``FromJson`` (a dataclass whose fields say where their value comes from),
the case-insensitive field helpers for resources sent back, and ``Page``."""

from __future__ import annotations

import copy
import re
from dataclasses import Field, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any, Callable, Generic, Iterator, Mapping, Self, TypeVar

T = TypeVar("T")

class _CI(Mapping[str, Any]):
    """Case-insensitive read view of a JSON object (camelCase == PascalCase)."""

    __slots__ = ("_d", "source")

    def __init__(self, data: Mapping[str, Any] | None) -> None:
        self._d = {str(k).lower(): v for k, v in (data or {}).items()}
        self.source = data

    def __getitem__(self, key: str) -> Any:
        return self._d[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        v = self._d.get(key.lower(), default)
        return default if v is None else v

    def obj(self, key: str) -> "_CI":
        v = self._d.get(key.lower())
        return _CI(v if isinstance(v, Mapping) else None)

    def list(self, key: str) -> list[Any]:
        v = self._d.get(key.lower())
        return list(v) if isinstance(v, (list, tuple)) else []

    def at(self, path: str | tuple[str, ...]) -> Any:
        """The value at a dotted ``path`` ("companyProfile.tenantId"); for several paths, the first
        truthy value (``a or b``: the service fills one or the other)."""
        if isinstance(path, tuple):
            value = None
            for one in path:
                value = self.at(one)
                if value:
                    break
            return value
        *objects, name = path.split(".")
        j = self
        for o in objects:
            j = j.obj(o)
        return j.get(name)


def _str(v: Any) -> str | None:
    return None if v is None else str(v)


def _int(v: Any, default: int | None = None) -> int | None:
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


def _bool(v: Any, default: bool | None = None) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    return default


_FRACTION = re.compile(r"\.(\d+)")


def parse_datetime(v: Any) -> datetime | None:
    """ISO 8601 from Partner Center (``Z`` suffix, up to 7 fractional digits) -> aware UTC."""
    if v is None or v == "":
        return None
    if isinstance(v, datetime):
        return v if v.tzinfo else v.replace(tzinfo=timezone.utc)
    s = str(v).strip().replace("Z", "+00:00").replace("z", "+00:00")
    s = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), s, count=1)
    try:
        d = datetime.fromisoformat(s)
    except ValueError:
        return None
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def _dt(v: Any) -> datetime | None:
    return parse_datetime(v)


def _text(v: Any) -> str:
    """A value the resource always has: "" rather than None when it is missing."""
    return str(v or "")


def _count(v: Any) -> int:
    return _int(v, 0) or 0


def _flag(default: bool) -> Callable[[Any], bool]:
    return lambda v: bool(_bool(v, default))


def _items(v: Any) -> list[Any]:
    return list(v) if isinstance(v, (list, tuple)) else []


def _strings(v: Any) -> list[str]:
    return [str(x) for x in _items(v)]


def _many(read: Callable[[Mapping[str, Any]], T]) -> Callable[[Any], list[T]]:
    """A list of objects, each read by ``read``; anything else in the list is skipped."""
    return lambda v: [read(x) for x in _items(v) if isinstance(x, Mapping)]


def _one(read: Callable[[Mapping[str, Any]], T]) -> Callable[[Any], T | None]:
    return lambda v: read(v) if isinstance(v, Mapping) else None


def _raw(data: Any) -> dict[str, Any]:
    return dict(data) if isinstance(data, Mapping) else {}


def _etag(j: _CI) -> str | None:
    return _str(j.obj("attributes").get("etag")) or _str(j.get("etag"))


def key(read: Callable[[Any], Any] = _str, *, at: str | tuple[str, ...] | None = None, **options: Any) -> Any:
    """A dataclass field that ``FromJson.from_json`` fills with ``read(its value in the JSON)``, found
    under the field's name in camelCase (``postal_code``: ``postalCode``) or, when the JSON puts it
    elsewhere, ``at`` (a dotted path or several, see ``_CI.at``); ``options`` go to
    ``dataclasses.field`` (no default: the field is required)."""
    return field(metadata={"convert": read, "at": at}, **options)


def json_key(f: Field) -> str | tuple[str, ...]:
    """Where a ``key`` field is in the JSON: its ``at``, else its name in camelCase."""
    first, *others = f.name.split("_")
    return f.metadata["at"] or first + "".join(word[:1].upper() + word[1:] for word in others)


def computed(read: Callable[[_CI], Any], **options: Any) -> Any:
    """A dataclass field that ``from_json`` fills with ``read(the whole object)``."""
    return field(metadata={"read": read}, **options)


def raw_payload() -> Any:
    """The ``raw`` field: the whole payload as it came, so nothing is lost when it is sent back.
    Keyword-only: ``Resource`` declares it before the fields of its subclasses, which may have no default."""
    return computed(lambda j: _raw(j.source), default_factory=dict, repr=False, kw_only=True)


def _read(f: Field, j: _CI) -> Any:
    """A field's value in the JSON object ``j``: a ``key`` field's converted, a ``computed`` one's read."""
    if "convert" in f.metadata:
        return f.metadata["convert"](j.at(json_key(f)))
    return f.metadata["read"](j)


class FromJson:
    """Base of the typed results: ``from_json`` reads every field declared with ``key``, ``computed``
    or ``raw_payload``; the other fields keep their defaults. ``to_json`` writes the ``key`` fields of
    a resource the storefront sends (an address, a contact, a cart line)."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Self:
        j = _CI(data)
        return cls(**{f.name: _read(f, j) for f in fields(cls) if f.metadata})  # type: ignore[arg-type]

    def to_json(self) -> dict[str, Any]:
        """The resource as the service takes it: every field declared with ``key`` at a plain name
        (not a path or a choice of names), under that name, unless it is None or ""."""
        out: dict[str, Any] = {}
        for f in fields(self):
            name, value = json_key(f) if "convert" in f.metadata else None, getattr(self, f.name)
            if isinstance(name, str) and "." not in name and value not in (None, ""):
                out[name] = copy.deepcopy(value)
        return out


@dataclass
class Resource(FromJson):
    """A typed result that keeps its payload whole in ``raw`` too (all but a few small pieces read
    inside another, such as an address or a contact)."""

    raw: dict[str, Any] = raw_payload()


@dataclass
class ResourceWithId(Resource):
    """A resource the service names by the ``id`` it always has (a product, an order, a subscription)."""

    id: str = key(_text)


def get_field(d: Mapping[str, Any], key: str) -> Any:
    """``d[key]`` whatever its casing (camelCase or PascalCase), or None."""
    for k, v in d.items():
        if str(k).lower() == key.lower():
            return v
    return None


def set_field(d: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` in ``d`` under whatever casing ``d`` already uses for it, so a resource sent back
    keeps one field per name."""
    for k in list(d):
        if str(k).lower() == key.lower():
            d[k] = value
            return
    d[key] = value


@dataclass
class Page(Generic[T]):
    """One page of a collection. ``continuation_token`` is set when there is a next page."""

    items: list[T]
    total_count: int | None = None
    continuation_token: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], item: Callable[[Mapping[str, Any]], T]
    ) -> "Page[T]":
        j = _CI(data)
        token = _str(j.get("continuationToken"))
        if not token:
            nxt = j.obj("links").obj("next")
            for h in nxt.list("headers"):
                if isinstance(h, Mapping):
                    hj = _CI(h)
                    if str(hj.get("key", "")).lower() == "ms-continuationtoken":
                        token = _str(hj.get("value"))
        return cls(
            items=[item(x) for x in j.list("items") if isinstance(x, Mapping)],
            total_count=_int(j.get("totalCount")),
            continuation_token=token or None,
            raw=_raw(data),
        )
