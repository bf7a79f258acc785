"""No one in without a signature or the API key; a replayed request changes nothing."""

from __future__ import annotations

from typing import Any

import scenarios as sc
from livestack import Stack


def test_missing_wrong_and_replayed_signatures_change_nothing(stack: Stack, record: Any) -> None:
    c = record(sc.signatures_and_auth(stack))
    assert c.notes["replay_same_answer"] == 1
    assert c.failures() == {}, (c.row(), c.notes)
