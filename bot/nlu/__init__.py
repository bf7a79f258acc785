"""Natural-language understanding: one customer message -> intent and slots.

Pure functions of (text, now, shop); no I/O. See `types.py` for the decisions the dialogue
can rely on.
"""

from __future__ import annotations

from bot.nlu.types import Intent, TimeWindow, Understanding
from bot.nlu.understand import understand

__all__ = ["Intent", "TimeWindow", "Understanding", "understand"]
