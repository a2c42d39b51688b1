"""The service's own endpoints (the product's pages and API are in the apps)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.http import require_GET

from novelproc import metrics as service_metrics
from novelproc.errors import error_body


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


# Django's own error pages are HTML; under /api/ (a path no route matches, a
# body the server could not parse, a crash) clients get the one error shape.


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("The request could not be read.", "BAD_REQUEST"), status=400)
    return defaults.bad_request(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body(f"No such resource: {request.path}", "NOT_FOUND"), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("Internal error.", "INTERNAL_ERROR"), status=500)
    return defaults.server_error(request)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not service_metrics.may_scrape(request):
        response = JsonResponse(
            {"error": "Metrics are for staff, or for the bearer of METRICS_TOKEN.", "error_code": "NOT_AUTHORIZED"},
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = service_metrics.exposition(request.headers.get("Accept", ""))
    return HttpResponse(body, content_type=content_type, headers={"Cache-Control": "no-store"})
