"""Small text helpers for notebook 06: a tokeniser, readable in a minute."""

from __future__ import annotations

import re

__all__ = ["tokenise"]

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[!?]")


def tokenise(text: str) -> list[str]:
    """Lower-case words (with an inner apostrophe: "didn't", "it's") and ! and ?.

    Other punctuation is dropped: "Not good, at all!" -> ["not", "good", "at", "all", "!"].
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenise expects a str, got {type(text).__name__}")
    return _TOKEN.findall(text.lower())
