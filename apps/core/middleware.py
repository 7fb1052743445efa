from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from .exceptions import error_body

log = logging.getLogger("api.request")


class BodySizeLimitMiddleware:
    """Refuse oversized bodies with a 413 before anything reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.MAX_REQUEST_BODY_BYTES
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return JsonResponse(error_body("bad_request", "Invalid Content-Length header."), status=400)
        if length > limit and not request.path.startswith("/admin/"):
            return JsonResponse(
                error_body("payload_too_large", f"Request body is {length} bytes; the limit is {limit}."),
                status=413,
            )
        return self.get_response(request)


class RequestLogMiddleware:
    """One structured log line per request: method, path, status, duration, user, request id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        started = time.perf_counter()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        response["X-Request-ID"] = request_id
        log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,  # never the query string: it may carry a login code
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 2),
                "user_id": getattr(user, "pk", None),
                "request_id": request_id,
            },
        )
        return response
