"""Phone numbers: the account's numbers, as `GET v1/convai/phone-numbers` lists them.

The sandbox's account has one, a Twilio number that outbound calls
(`v1/convai/twilio/outbound-call`, sandbox/endpoints_conversation.py) are placed from; it takes
no inbound calls and is assigned to no agent. Its number is in the 555-01xx range, kept for
fiction.
"""

from sandbox.api import Request, Response, invalid, route

PHONE_NUMBER_ID = "phnum_sandbox"
# PhoneNumbersListResponseItem_Twilio (elevenlabs/conversational_ai/phone_numbers/types/).
PHONE_NUMBER = {
    "provider": "twilio",
    "phone_number": "+14155550100",
    "label": "Sandbox",
    "supports_inbound": False,
    "supports_outbound": True,
    "phone_number_id": PHONE_NUMBER_ID,
    "assigned_agent": None,
}
# TelephonyProvider
PROVIDERS = ("twilio", "sip_trunk", "exotel")


async def phone_number_list(request: Request) -> Response:
    """A JSON list (no page), filtered by `provider`, and by the agent or branch a number is
    assigned to: the sandbox's number is assigned to none, so either filter leaves nothing."""
    provider = request.param("provider")
    if provider and provider not in PROVIDERS:
        raise invalid(
            ["query", "provider"], "Input should be 'twilio', 'sip_trunk' or 'exotel'", "enum"
        )
    numbers = [PHONE_NUMBER]
    if provider:
        numbers = [number for number in numbers if number["provider"] == provider]
    if request.param("agent_id") or request.param("branch_id"):
        numbers = []
    return Response(200, numbers)


ROUTES = [route("GET", r"v1/convai/phone-numbers", phone_number_list)]
