"""What the agents app tells the apps above it, which it never imports (docs/architecture.md).

Each is sent inside the writing transaction, so whatever a receiver writes commits or rolls
back with the change itself, and a receiver's refusal (a DomainError) refuses the change.
"""

from django.dispatch import Signal

# A new agent, saved with its tags. Sent with `agent`, `actor` and `changes`, the note the
# creator gave for version 1 ("" for none).
agent_created = Signal()

# An agent's fields changed. Sent with `agent` as saved, `actor`, `from_status` (a config change
# moves an agent back to draft) and `changed`, the set of what changed among "name",
# "description", "tags" and "config".
agent_updated = Signal()

# An agent was archived (what deleting an agent does: its history stays). Sent with `agent` as
# saved, `actor` and `note`, why ("" for no reason given).
agent_archived = Signal()

# An archived agent was restored, as a draft. Sent with `agent` as saved, `actor`, `from_status`
# (its stage while archived) and `note`.
agent_restored = Signal()
