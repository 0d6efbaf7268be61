"""The transcript writer (elevenlabs_sync/transcript_writer.py): one per process, writing what
every relayed conversation says together, a conversation's failure holding up no other."""

import asyncio

import pytest

from elevenlabs_sync import transcript_writer
from testruns.models import TurnRole
from testruns.services import conversation_transcripts_add
from testruns.transcript import Corrected, Interrupted, Said
from tests.factories import ConversationFactory, ConversationTurnFactory

pytestmark = pytest.mark.django_db(transaction=True)


def said(text: str, event_id: int | None = None, role=TurnRole.AGENT) -> Said:
    return Said(role, text, offset_ms=0, event_id=event_id)


@pytest.fixture
def writes(monkeypatch):
    """The batches handed to the database, each a {conversation id: events} as written."""
    batches: list[dict] = []

    def write(*, said):
        batches.append({key: list(events) for key, events in said.items()})
        conversation_transcripts_add(said=said)

    monkeypatch.setattr(transcript_writer, "conversation_transcripts_add", write)
    return batches


def test_what_conversations_say_meanwhile_is_written_together(agent, writes):
    first, second = ConversationFactory(agent=agent), ConversationFactory(agent=agent)

    async def talk() -> list[bool]:
        writer = transcript_writer.transcript_writer()
        writer.open(first.pk)
        writer.open(second.pk)
        writer.add(first.pk, said("Hello from the first."))
        writer.add(second.pk, said("Hello from the second."))
        writer.add(first.pk, said("Anything else?"))
        return [
            await writer.close(first.pk, timeout=5),
            await writer.close(second.pk, timeout=5),
        ]

    assert asyncio.run(talk()) == [True, True]

    assert len(writes) == 1
    assert list(first.turns.values_list("text", flat=True)) == [
        "Hello from the first.",
        "Anything else?",
    ]
    assert list(second.turns.values_list("text", flat=True)) == ["Hello from the second."]


def test_a_conversation_that_cannot_be_written_holds_up_no_other(agent, monkeypatch):
    broken, fine = ConversationFactory(agent=agent), ConversationFactory(agent=agent)
    tries: list[dict] = []

    def write(*, said):
        tries.append(dict(said))
        if broken.pk in said and len(tries) < 4:
            raise ConnectionError("its record is locked")
        conversation_transcripts_add(said=said)

    monkeypatch.setattr(transcript_writer, "conversation_transcripts_add", write)
    monkeypatch.setattr(transcript_writer, "WRITE_RETRY_SECS", 0.05)

    async def talk() -> tuple[bool, bool]:
        writer = transcript_writer.transcript_writer()
        writer.open(broken.pk)
        writer.open(fine.pk)
        writer.add(broken.pk, said("Lost for a while."))
        writer.add(fine.pk, said("Written at once."))
        fine_written = await writer.close(fine.pk, timeout=5)
        return fine_written, await writer.close(broken.pk, timeout=5)

    fine_written, broken_written = asyncio.run(talk())

    assert (fine_written, broken_written) == (True, True)
    assert [set(batch) for batch in tries[:3]] == [{broken.pk, fine.pk}, {broken.pk}, {fine.pk}]
    assert list(fine.turns.values_list("text", flat=True)) == ["Written at once."]
    assert list(broken.turns.values_list("text", flat=True)) == ["Lost for a while."]


def test_closing_says_so_when_what_was_said_could_not_be_written_in_time(agent, monkeypatch):
    conversation = ConversationFactory(agent=agent)

    def write(*, said):
        raise ConnectionError("the database is down")

    monkeypatch.setattr(transcript_writer, "conversation_transcripts_add", write)

    async def talk() -> bool:
        writer = transcript_writer.transcript_writer()
        writer.open(conversation.pk)
        writer.add(conversation.pk, said("Never written."))
        return await writer.close(conversation.pk, timeout=0.3)

    assert asyncio.run(talk()) is False
    assert not conversation.turns.exists()


def test_a_turn_cut_short_and_corrected_in_the_batch_that_said_it_is_written_so(agent):
    conversation = ConversationFactory(agent=agent)
    earlier = ConversationTurnFactory(conversation=conversation, event_id=1, text="Earlier one")

    conversation_transcripts_add(
        said={
            conversation.pk: [
                said("I can help with bookings and", event_id=2),
                Interrupted(2),
                Corrected(2, "I can help with"),
                Interrupted(1),
                Corrected(1, "Earlier"),
            ]
        }
    )

    turns = list(conversation.turns.order_by("id").values("text", "corrected", "interrupted"))
    assert turns == [
        {"text": "Earlier", "corrected": True, "interrupted": True},
        {"text": "I can help with", "corrected": True, "interrupted": True},
    ]
    assert earlier.pk == conversation.turns.order_by("id").first().pk
