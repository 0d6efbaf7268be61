"""`IdempotentPosts`: the POSTs of a view honour an `Idempotency-Key` header
(workspaces/idempotency.py has the rules; docs/api.md, "Retries")."""

import json
from typing import Any

from django.http import QueryDict
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from workspaces.idempotency import HEADER, Answer, idempotent_answer, request_hash

REPLAYED_HEADER = "Idempotent-Replayed"


class IdempotentPosts(APIView):
    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # After authentication, so keys are the caller's own; before the handler, which the
        # viewset has bound to `post` by now, and which this wraps.
        super().initial(request, *args, **kwargs)
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return
        handler = getattr(self, "post")  # noqa: B009 - bound by the viewset, not the class

        def post(request: Request, *args: Any, **kwargs: Any) -> Response:
            def run() -> Answer:
                response = handler(request, *args, **kwargs)
                return Answer(response.status_code, _json(response.data))

            assert request.user.is_authenticated  # the view's permissions come first
            answer = idempotent_answer(
                user=request.user,
                key=key,
                request=request_hash(
                    method=request.method or "POST",
                    path=request.get_full_path(),
                    body=_body(request.data),
                ),
                run=run,
            )
            headers = {REPLAYED_HEADER: "true"} if answer.replayed else None
            return Response(answer.body, status=answer.status_code, headers=headers)

        self.post = post


def _json(data: Any) -> Any:
    """The body as its JSON reads back: what a replay will answer, the first time too."""
    return json.loads(JSONRenderer().render(data) or b"null")


def _body(data: Any) -> Any:
    return {key: data.getlist(key) for key in data} if isinstance(data, QueryDict) else data
