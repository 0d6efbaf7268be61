"""The Content-Security-Policy header that settings describe, on every response.

django-csp builds the policy; its middleware built it anew for every response, twice (the
enforced and the report-only header), about 5 % of an agent list's CPU. This project's
policy is the same for every response (settings alone: no nonces, no per-view decorators),
so it is built once, when the middleware loads.
"""

from collections.abc import Callable

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.http import HttpRequest, HttpResponseBase


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        policies = {HEADER: build_policy(), HEADER_REPORT_ONLY: build_policy(report_only=True)}
        self.headers = {header: policy for header, policy in policies.items() if policy}

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        for header, policy in self.headers.items():
            response.headers.setdefault(header, policy)
        return response
