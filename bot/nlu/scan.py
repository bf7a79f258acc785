"""A text being read by rules: each rule takes the spans it matched, so a number that was
read as part of a date or a time cannot be read again by a later rule."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator


class Scan:
    def __init__(self, text: str) -> None:
        self.text = text
        self.taken: list[tuple[int, int]] = []

    def matches(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        """Matches in the text not yet taken (the taken spans read as blanks)."""
        yield from pattern.finditer(self.text)

    def take(self, match: re.Match[str]) -> None:
        start, end = match.span()
        self.taken.append((start, end))
        self.text = self.text[:start] + " " * (end - start) + self.text[end:]

    def take_all(self, pattern: re.Pattern[str], handle: Callable[[re.Match[str]], bool]) -> None:
        """Calls `handle` for each match in turn; a match it accepts (True) is taken."""
        for m in list(pattern.finditer(self.text)):
            if self.text[m.start() : m.end()] == m.group(0) and handle(m):
                self.take(m)

    def first(self, pattern: re.Pattern[str], handle: Callable[[re.Match[str]], bool]) -> bool:
        for m in pattern.finditer(self.text):
            if handle(m):
                self.take(m)
                return True
        return False


def has_any(text: str, words: tuple[str, ...]) -> bool:
    """Whether any of `words` is in `text`: the pre-check in front of a pattern that every match
    of holds one of them."""
    for w in words:  # noqa: SIM110
        if w in text:
            return True
    return False
