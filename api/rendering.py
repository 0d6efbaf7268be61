"""Answers that are not JSON (the schema's YAML, its docs' HTML, a transcript's text, a JUnit
report), with their errors still in the API's JSON error shape."""

from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView


class PlainTextRenderer(BaseRenderer):
    """A view's text (a `str`) as `text/plain` in UTF-8."""

    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return str(data).encode(self.charset)


class XmlRenderer(PlainTextRenderer):
    """A view's XML document (`bytes`, encoding declared inside) as `application/xml`."""

    media_type = "application/xml"
    format = "xml"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return data if isinstance(data, bytes) else super().render(data)


class RefusesInJson(APIView):
    """For views whose pages are not JSON (the schema is YAML, its docs HTML, a transcript
    text): their errors (a 404, a 405, a 406) in the API's JSON error shape, not a YAML
    document or a line of text."""

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response
