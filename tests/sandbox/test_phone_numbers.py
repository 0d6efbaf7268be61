"""Phone numbers through the official SDK: the account's one number, which outbound calls are
placed from."""

import pytest
from elevenlabs.conversational_ai.phone_numbers.types.phone_numbers_list_response_item import (
    PhoneNumbersListResponseItem_Twilio,
)
from elevenlabs.errors import UnprocessableEntityError

from tests.sandbox.sdk import create_agent, strictly

# The SDK's own parsing of a discriminated union (the list's items, by `provider`) reads
# pydantic's deprecated `__fields__` (elevenlabs/core/unchecked_base_model.py): not ours to fix.


def test_the_account_has_one_twilio_number_for_outbound_calls(sandbox_sdk):
    (number,) = sandbox_sdk.conversational_ai.phone_numbers.list()

    assert isinstance(number, PhoneNumbersListResponseItem_Twilio)
    assert strictly(number) == number
    assert number.phone_number_id == "phnum_sandbox"
    assert number.phone_number.startswith("+")
    assert (number.supports_outbound, number.supports_inbound) == (True, False)
    assert number.assigned_agent is None


def test_the_listed_number_places_an_outbound_call(sandbox_sdk, sandbox):
    (number,) = sandbox_sdk.conversational_ai.phone_numbers.list()
    agent_id = create_agent(sandbox_sdk)

    call = sandbox_sdk.conversational_ai.twilio.outbound_call(
        agent_id=agent_id,
        agent_phone_number_id=number.phone_number_id,
        to_number="+14155550123",
    )

    assert call.success is True
    (conversation,) = sandbox.state()["conversations"]
    assert conversation["conversation_id"] == call.conversation_id


@pytest.mark.parametrize(
    ("filters", "listed"),
    [
        ({"provider": "twilio"}, 1),
        ({"provider": "sip_trunk"}, 0),
        ({"provider": "exotel"}, 0),
        # The number is assigned to no agent, so it is listed for none.
        ({"agent_id": "agent_any"}, 0),
        ({"branch_id": "agtbrch_any"}, 0),
    ],
)
def test_the_list_is_filtered_by_provider_and_assigned_agent(sandbox_sdk, filters, listed):
    assert len(sandbox_sdk.conversational_ai.phone_numbers.list(**filters)) == listed


def test_an_unknown_provider_is_422_naming_the_parameter(sandbox_sdk):
    with pytest.raises(UnprocessableEntityError) as refused:
        sandbox_sdk.conversational_ai.phone_numbers.list(provider="carrier_pigeon")

    (error,) = refused.value.body["detail"]
    assert error["loc"] == ["query", "provider"]
