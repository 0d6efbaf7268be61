"""The transcript writer: what the conversations relayed by this process say, written to the
database off the relays' path (docs/conversations.md, "What is kept").

One writer per event loop (a web process has one) serves every conversation relayed there. It
waits WRITE_GATHER_SECS after an event arrives, then writes what gathered in every
conversation in one transaction (testruns.services.conversation_transcripts_add): one trip to
the database thread and one commit a quarter of a second, however many conversations there
are. A writer per conversation made that trip for each conversation, and its writes held the
interpreter lock long enough to slow every conversation's relaying (docs/benchmarks.md,
"Conversation relay").

A batch that fails is tried again a second later, each conversation on its own, so that one
conversation's failure (its record deleted meanwhile) holds up no other; what was said is kept
in memory until then, in order.
"""

import asyncio
import contextlib
import logging
from weakref import WeakKeyDictionary

from channels.db import database_sync_to_async

from testruns.services import conversation_transcripts_add
from testruns.transcript import TranscriptEvent

logger = logging.getLogger(__name__)

WRITE_GATHER_SECS = 0.25
WRITE_RETRY_SECS = 1.0

_writers: WeakKeyDictionary[asyncio.AbstractEventLoop, "TranscriptWriter"] = WeakKeyDictionary()


def transcript_writer() -> "TranscriptWriter":
    """The writer of the running event loop."""
    loop = asyncio.get_running_loop()
    if loop not in _writers:
        _writers[loop] = TranscriptWriter()
    return _writers[loop]


class TranscriptWriter:
    def __init__(self) -> None:
        self.pending: dict[int, list[TranscriptEvent]] = {}
        self.added: dict[int, int] = {}  # events handed over, by conversation
        self.written: dict[int, int] = {}  # of those, written
        self.conversations = 0  # open: the writer runs while there are any, or anything pending
        self.arrived = asyncio.Event()
        self.hurry = asyncio.Event()  # a conversation is ending: write without gathering
        self.progress = asyncio.Condition()
        self.task: asyncio.Task | None = None

    def open(self, conversation_id: int) -> None:
        """A conversation starts handing over what is said."""
        self.conversations += 1
        self.added.setdefault(conversation_id, 0)
        self.written.setdefault(conversation_id, 0)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._write_until_idle())

    def add(self, conversation_id: int, event: TranscriptEvent) -> None:
        self.pending.setdefault(conversation_id, []).append(event)
        self.added[conversation_id] += 1
        self.arrived.set()

    async def close(self, conversation_id: int, *, timeout: float) -> bool:
        """Wait (up to `timeout` seconds) for everything said in the conversation to be
        written, then forget it. False if it was not in time: it is still written later, when
        the database lets it."""
        target = self.added.get(conversation_id, 0)
        self.hurry.set()
        self.arrived.set()
        try:
            async with asyncio.timeout(timeout), self.progress:
                await self.progress.wait_for(lambda: self.written[conversation_id] >= target)
        except TimeoutError:
            return False
        finally:
            self.conversations -= 1
            self.arrived.set()  # the writer may have no more conversation to wait for
        if conversation_id not in self.pending:
            del self.added[conversation_id], self.written[conversation_id]
        return True

    async def _write_until_idle(self) -> None:
        while self.conversations or self.pending:
            await self.arrived.wait()
            if not self.hurry.is_set():
                # What else is said meanwhile, in any conversation, goes in the same write.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.hurry.wait(), WRITE_GATHER_SECS)
            self.arrived.clear()
            self.hurry.clear()
            batch, self.pending = self.pending, {}
            if batch:
                await self._write(batch)

    async def _write(self, batch: dict[int, list[TranscriptEvent]]) -> None:
        try:
            await database_sync_to_async(conversation_transcripts_add)(said=batch)
            written = batch
        except Exception:
            logger.exception("Writing what %s conversations said", len(batch))
            written = await self._write_each(batch)
        for conversation_id, events in written.items():
            self.written[conversation_id] += len(events)
        async with self.progress:
            self.progress.notify_all()
        if len(written) < len(batch):
            await asyncio.sleep(WRITE_RETRY_SECS)
            self.arrived.set()

    async def _write_each(
        self, batch: dict[int, list[TranscriptEvent]]
    ) -> dict[int, list[TranscriptEvent]]:
        """Each conversation on its own; what fails is put back, ahead of what came since."""
        written = {}
        for conversation_id, events in batch.items():
            try:
                await database_sync_to_async(conversation_transcripts_add)(
                    said={conversation_id: events}
                )
            except Exception:
                logger.exception("Conversation %s: writing what was said", conversation_id)
                self.pending[conversation_id] = [*events, *self.pending.get(conversation_id, [])]
            else:
                written[conversation_id] = events
        return written
