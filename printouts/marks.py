"""The small mark that ties paper to the log: the gesture id and the writer's initials.

Every card, envelope, label and call sheet carries one ("#12 · MK"), small and light, so a stack
can be split between people, each card matched with its envelope, and what was done logged
(`delight log sent 12 13 14`) without opening anything.
"""

from __future__ import annotations

import unicodedata


def initials(writer: str | None) -> str:
    """ "Minji Kim" → "MK", "Tom" → "T"; a name in a script without capitals ("지민") is kept whole,
    up to three characters, as Korean teams write each other's names."""
    if not writer or not writer.strip():
        return ""
    words = writer.split()
    if all(unicodedata.category(word[0]) in ("Lu", "Ll", "Lt") for word in words):
        return "".join(word[0] for word in words).upper()[:3]
    return "".join(words)[:3]


def mark_text(gesture_id: int | None, writer: str | None = None) -> str:
    """ "#12 · MK"; "#12" without a writer; "" without an id."""
    if gesture_id is None:
        return ""
    writer_initials = initials(writer)
    return f"#{gesture_id} · {writer_initials}" if writer_initials else f"#{gesture_id}"
