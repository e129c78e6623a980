"""The parser's contract is to never raise on input: every step runs through `Warnings.guard`, and
what went wrong becomes a warning beside whatever could still be read."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_MAX_WARNINGS = 50  # a pathological message must not produce a megabyte of warnings


class Warnings:
    def __init__(self) -> None:
        self._items: list[str] = []

    def add(self, message: str) -> None:
        if message not in self._items and len(self._items) < _MAX_WARNINGS:
            self._items.append(message)

    def guard(self, what: str, default: T, step: Callable[[], T]) -> T:
        try:
            return step()
        except Exception as error:  # any failure on hostile input is a warning
            self.add(f"{what}: {type(error).__name__}: {error}"[:300])
            return default

    def as_list(self) -> list[str]:
        return list(self._items)
