"""The web pages (SPEC §6). As thin as the API: they read through selectors and
write through services; the upload and job pages' scripts call the API itself
(session auth) for estimate, confirm, start, cancel and progress, at the URLs
the templates render into their data- attributes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from credits.pricing import estimate_rates
from credits.services import credits_current
from jobs import selectors, services
from jobs.forms import SignUpForm
from jobs.models import ChunkStatus, Engine, JobStatus, ModelPreference, Rewrite
from jobs.pipeline.vocabulary import CONTENT_POS, PROPER_NAME, SORTS
from jobs.serializers import VOCABULARY_DEFAULTS, JobDetailSerializer, VocabularyQuerySerializer
from jobs.sockets import socket_path
from novelproc.errors import DomainError, InvalidTransition, JobNotFound

MODEL_LABELS = {
    ModelPreference.SPEED: "Speed — quickest, cheapest",
    ModelPreference.BALANCED: "Balanced — the usual choice",
    ModelPreference.QUALITY: "Quality — best sentences, costs most",
}


def model_choices() -> list[tuple[str, str]]:
    """What each choice means on Gemini: the model it runs and its price."""
    return [
        (
            preference,
            f"{label} ({settings.GEMINI_MODELS[preference]}, {rates['input']:g} credits per 1000 tokens read, "
            f"{rates['output']:g} per 1000 written)",
        )
        for preference, label in MODEL_LABELS.items()
        for rates in [estimate_rates(Engine.GEMINI, preference)]
    ]


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("upload")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.save(), backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {request.user.username}! Your monthly credits are ready.")
        return redirect("upload")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    model, processing = selectors.upload_defaults(user=request.user)
    engine = services.engine_for_new_job()
    return render(
        request,
        "jobs/upload.html",
        {
            "model_preference": model,
            # Without a Gemini key every choice runs the local engine at one
            # price: the page says so instead of offering a choice that changes nothing.
            "engine": engine,
            "local_model": services.model_name_for(Engine.LOCAL, model),
            "local_rate": settings.CREDIT_RATE_LOCAL,
            "models": model_choices() if engine == Engine.GEMINI else [],
            "flex_timeout_minutes": f"{settings.GEMINI_FLEX_TIMEOUT / 60:g}",
            "processing": processing,
            "rewrite_choices": Rewrite.choices,
            "balance": credits_current(user=request.user).balance,
            "max_upload_mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024),
            "max_pages": settings.MAX_PDF_PAGES,
        },
    )


def job_not_found_is_404(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A job that is not the user's is a 404 page, as it is a 404 in the API."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except JobNotFound as exc:
            raise Http404(exc.message) from exc

    return wrapper


@login_required
@job_not_found_is_404
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.get_owned_job(user=request.user, job_id=job_id)
    chunks = list(job.chunks.order_by("index").values("index", "status", "first_page", "last_page", "sentences"))
    sentences = (
        job.sentences
        if job.is_terminal
        else [s for c in chunks if c["status"] == ChunkStatus.SUCCEEDED for s in c["sentences"]]
    )
    job_data = JobDetailSerializer(job).data
    reading = selectors.reading_page(
        sentences=sentences, chapters=job.chapters if job.is_terminal else [], page=request.GET.get("page")
    )
    return render(
        request,
        "jobs/job.html",
        {
            "job": job,
            "job_data": job_data,
            "chunks": [{k: c[k] for k in ("index", "status", "first_page", "last_page")} for c in chunks],
            "sentences": sentences,
            "reading": reading,
            "sentences_per_page": selectors.SENTENCES_PER_PAGE,
            "released": None if job.actual_credits is None else job.estimated_credits - job.actual_credits,
            "export_formats": ["csv", "xlsx", "json", "txt", "apkg"],
            "retryable": job.status in (JobStatus.COMPLETED, JobStatus.FAILED)
            and job.failed_chunk_count > 0
            and job.results_deleted_at is None,
            "socket_path": socket_path(job.pk),
        },
    )


@login_required
@job_not_found_is_404
def vocabulary_page(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.get_owned_job(user=request.user, job_id=job_id)
    query = VocabularyQuerySerializer(data=request.GET)
    filters = query.validated_data if query.is_valid() else VOCABULARY_DEFAULTS
    try:
        page = selectors.vocabulary_page(job=job, **filters)
    except DomainError as exc:  # not finished yet, or its sentences expired
        return render(request, "jobs/vocabulary.html", {"job": job, "unavailable": exc.message}, status=exc.status_code)
    names = filters["pos"] == [PROPER_NAME]
    export = {"pos": ",".join(page.pos), "min_count": page.min_count, "sort": page.sort}
    return render(
        request,
        "jobs/vocabulary.html",
        {
            "job": job,
            "vocabulary": page,
            "names": names,
            "errors": query.errors,
            "export_query": urlencode(export),
            "sorts": list(SORTS),
            "pos_choices": CONTENT_POS,
        },
    )


@login_required
def history_page(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.jobs_of(user=request.user), 20).get_page(request.GET.get("page"))
    return render(request, "jobs/history.html", {"page": page, "retention_days": settings.RESULT_RETENTION_DAYS})


@login_required
@require_POST
@job_not_found_is_404
def job_delete(request: HttpRequest, job_id: int) -> HttpResponse:
    try:
        services.job_delete(user=request.user, job_id=job_id)
        messages.success(
            request, "The book, its file and its sentences were deleted. Its credit record stays on your credits page."
        )
    except InvalidTransition as exc:
        messages.error(request, exc.message)
    return redirect("history")
