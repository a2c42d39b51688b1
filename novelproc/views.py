"""The service's own endpoints (the product's pages and API are in the apps)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from novelproc import metrics as service_metrics


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
