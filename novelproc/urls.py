from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from credits.api import CreditsLedger, CreditsMe
from jobs.api import JobViewSet, LegacyProcessPdfAsync
from novelproc import views
from novelproc.auth import TokenObtain, TokenRefresh


class OptionalSlashRouter(DefaultRouter):
    """SPEC §5 writes paths without a trailing slash; both forms are accepted."""

    include_format_suffixes = False

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("jobs", JobViewSet, basename="job")

api_v1 = [
    re_path(r"^auth/token/?$", TokenObtain.as_view(), name="token_obtain_pair"),
    re_path(r"^auth/token/refresh/?$", TokenRefresh.as_view(), name="token_refresh"),
    re_path(r"^process-pdf-async/?$", LegacyProcessPdfAsync.as_view(), name="process_pdf_async"),
    re_path(r"^credits/me/?$", CreditsMe.as_view(), name="credits_me"),
    re_path(r"^credits/ledger/?$", CreditsLedger.as_view(), name="credits_ledger"),
    path("", include(router.urls)),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("metrics", views.metrics, name="metrics"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api-auth/", include("rest_framework.urls")),
    path("", include("jobs.urls_pages")),
    path("", include("credits.urls_pages")),
]

handler400 = "novelproc.views.bad_request"
handler404 = "novelproc.views.not_found"
handler500 = "novelproc.views.server_error"
