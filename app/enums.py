"""Enums whose members say what they are in words: the status and kind columns of the models."""
from __future__ import annotations

from enum import StrEnum


class LabelledEnum(StrEnum):
    """A StrEnum whose members carry a label for pages: ``DELETED = "deleted", "Cancelled"``, or just
    ``ACTIVE = "active"`` for the value capitalized ("Active")."""

    label: str

    def __new__(cls, value: str, label: str | None = None):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value.capitalize()
        return member


def label_of(enum: type[LabelledEnum], value: str | None) -> str:
    """The words for a stored value of one of these vocabularies (the value itself when unknown)."""
    try:
        return enum(value).label
    except ValueError:
        return value or ""


def labelled(column: str, enum: type[LabelledEnum]) -> property:
    """A model's read-only property with the words for the value stored in `column`:
    ``status_label = labelled("status", OrderStatus)``."""
    return property(lambda row: label_of(enum, getattr(row, column)), doc=f"The {column} in words.")
