"""The WhatsApp conversation: named states, one transition table, barber commands.

- `model`    states, the draft, the context the core sees, the actions it asks for
- `flow`     the transition table: `step(convo, understanding, ctx, now) -> Outcome` (pure)
- `planning` free-time lookups: the asked slot, why not, the nearest alternatives (pure)
- `references` which of their bookings a customer means ("jack's cut", "the usual", "rebook")
- `everyday` shop facts and everyday questions: prices, address, who works when, running late
- `replies`  every word we send
- `engine`   the edge: loads state and facts, runs a turn, carries out the actions
- `staff`    the edge to people: hand-offs, notes to barbers, the customer facts the core reads
- `barber`, `barber_flow`, `barber_engine`  barber commands: parsed (pure), stepped (pure), carried out
"""

from __future__ import annotations

from .engine import ChatEngine
from .flow import step
from .model import Context, Convo, State

__all__ = ["ChatEngine", "Context", "Convo", "State", "step"]
