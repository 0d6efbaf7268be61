"""What the lifecycle tells the apps above it, which it never imports (docs/architecture.md)."""

from django.dispatch import Signal

# An agent moved between stages, was rolled back, archived or restored (`deployment.kind` says
# which): whatever mirrors it elsewhere (ElevenLabs) should follow. Sent inside the writing
# transaction with `agent`, as saved, and its new `deployment` row.
agent_deployed = Signal()
