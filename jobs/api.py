"""The jobs API (SPEC §5): each action validates, calls one service, answers."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

from django.conf import settings
from django.http import HttpResponse
from django.utils.http import content_disposition_header, parse_etags
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication

from jobs import selectors, services
from jobs.exports import EXPORT_FORMATS, EXPORT_MEDIA_TYPES, VOCABULARY_FORMATS, export_job, export_vocabulary
from jobs.models import Job, JobStatus
from jobs.serializers import (
    CancelledSerializer,
    ConfirmedSerializer,
    ConfirmSerializer,
    EstimateSerializer,
    JobChunksSerializer,
    JobDetailSerializer,
    JobSerializer,
    LegacyStartSerializer,
    PdfUploadSerializer,
    QueueStatsSerializer,
    ReconciliationSerializer,
    ResultSerializer,
    StartedSerializer,
    StartSerializer,
    VocabularyQuerySerializer,
    VocabularySerializer,
)
from novelproc.errors import DomainError, NotReady
from novelproc.ratelimits import enforce_rate
from novelproc.schema import errors

JOB_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Job id")
START_ERRORS = errors(400, 401, 402, 404, 409, 413, 415, 422, 429, 503)
IDEMPOTENCY_KEY_MAX = 100  # Job.confirm_key's length: a longer key is refused, never cut


class JobListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=JobStatus.choices, required=False)


class ExportNegotiation(DefaultContentNegotiation):
    """The export chooses its own media type (export_format); whatever the
    client accepts, its errors are the one JSON shape."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def export_format(request) -> str:
    """`?format=` when given, else the export media type the Accept header prefers (csv for */*)."""
    asked = request.query_params.get("format")
    if asked is not None:
        if asked.lower() not in EXPORT_FORMATS:
            raise DomainError(
                f"Unknown format {asked!r}; use one of {', '.join(EXPORT_FORMATS)}.", error_code="BAD_FORMAT"
            )
        return asked.lower()
    media_type = request.get_preferred_type(list(EXPORT_MEDIA_TYPES))
    if media_type is None:
        raise NotAcceptable(f"The export is served as {', '.join(EXPORT_MEDIA_TYPES)}; accept one of them.")
    return EXPORT_MEDIA_TYPES[media_type]


def idempotency_key(request) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise DomainError(
            f"Idempotency-Key is {len(key)} characters long; at most {IDEMPOTENCY_KEY_MAX} are allowed.",
            error_code="BAD_IDEMPOTENCY_KEY",
        )
    return key


def etag_matches(request, etag: str) -> bool:
    """If-None-Match names `etag`, by the weak comparison it calls for (RFC 9110 §13.1.2)."""
    given = {tag.removeprefix("W/") for tag in parse_etags(request.headers.get("If-None-Match", ""))}
    return "*" in given or etag.removeprefix("W/") in given


class BodiesByTag:
    """The last `size` status bodies this process rendered, by their ETag.

    The ETag digests everything a status body is made of (selectors.job_status_etag),
    so one tag always stands for the same body. When a running job changes,
    each of its pollers asks for the same new body within its polling
    interval: the first renders it, the others (200 of them in the load test
    of issue #14) are answered from here, as cheaply as a 304 plus the send."""

    def __init__(self, size: int):
        self.size = size
        self.bodies: OrderedDict[str, dict] = OrderedDict()
        self.lock = threading.Lock()  # a serving process runs its requests in threads

    def get(self, tag: str) -> dict | None:
        with self.lock:
            body = self.bodies.get(tag)
            if body is not None:
                self.bodies.move_to_end(tag)
            return body

    def put(self, tag: str, body: dict) -> dict:
        with self.lock:
            self.bodies[tag] = body
            self.bodies.move_to_end(tag)
            while len(self.bodies) > self.size:
                self.bodies.popitem(last=False)
        return body


STATUS_BODIES = BodiesByTag(size=512)


def start_job(request, job_id: int, form: StartSerializer) -> Response:
    enforce_rate(request, group="jobs-start", rate=settings.RATE_LIMIT_STARTS)
    job = services.job_start(
        user=request.user, job_id=job_id, upload=form.validated_data["pdf_file"], processing=form.processing()
    )
    return Response(StartedSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


class JobViewSet(viewsets.GenericViewSet):
    serializer_class = JobSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Job.objects.none()
        return selectors.jobs_of(user=self.request.user, status=self.request.query_params.get("status"))

    def get_job(self) -> Job:
        return selectors.get_owned_job(user=self.request.user, job_id=self.kwargs["pk"])

    def get_authenticators(self):
        # The status read, repeated by every poller, takes the user from the
        # token's claims and checks it in its own query of the job
        # (selectors.get_owned_job_status joins the owner's row): one query
        # where simplejwt would add one to load the user.
        # drf-spectacular documents the API's one JWT scheme (its fake views; no request sometimes)
        request = None if getattr(self, "swagger_fake_view", False) else getattr(self, "request", None)
        if request is not None and getattr(self, "action_map", {}).get(request.method.lower()) == "retrieve":
            return [JWTStatelessUserAuthentication(), SessionAuthentication()]
        return super().get_authenticators()

    @extend_schema(
        parameters=[JobListQuerySerializer],
        responses={200: JobSerializer(many=True), **errors(400, 401, 404)},
    )
    def list(self, request):
        JobListQuerySerializer(data=request.query_params).is_valid(raise_exception=True)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(JobSerializer(page, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False)],
        responses={200: JobDetailSerializer, 304: None, **errors(401, 404)},
    )
    def retrieve(self, request, pk=None):
        # Polled by every client of a running job: one indexed query, no
        # sentences loaded, and for a job that has not changed a 304 before
        # any serializer runs (the serializer is most of a read's CPU).
        job = selectors.get_owned_job_status(user=request.user, job_id=pk)
        position = selectors.queue_position(job=job)
        etag = selectors.job_status_etag(job=job, queue_position=position, media_type=request.accepted_media_type)
        if etag_matches(request, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        body = STATUS_BODIES.get(etag) or STATUS_BODIES.put(
            etag, JobDetailSerializer(job, context={"queue_position": position}).data
        )
        return Response(body, headers={"ETag": etag})

    @extend_schema(responses={204: None, **errors(401, 404, 409)})
    def destroy(self, request, pk=None):
        services.job_delete(user=request.user, job_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=PdfUploadSerializer, responses={200: EstimateSerializer, **errors(400, 401, 413, 415, 422)})
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def estimate(self, request):
        form = PdfUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        estimate = services.job_estimate(
            user=request.user,
            upload=form.validated_data["pdf_file"],
            model_preference=form.validated_data["model_preference"],
            economy=form.validated_data["economy"],
        )
        return Response(EstimateSerializer(estimate).data)

    @extend_schema(
        request=ConfirmSerializer,
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
        responses={201: ConfirmedSerializer, 200: ConfirmedSerializer, **errors(400, 401, 402, 422, 429)},
    )
    @action(detail=False, methods=["post"], parser_classes=[JSONParser, FormParser, MultiPartParser])
    def confirm(self, request):
        form = ConfirmSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        key = idempotency_key(request)
        if not key or not selectors.confirm_key_used(user=request.user, key=key):
            enforce_rate(request, group="jobs-confirm", rate=settings.RATE_LIMIT_CONFIRMS)
        job, balance, created = services.job_confirm(
            user=request.user,
            original_filename=form.validated_data["original_filename"],
            page_count=form.validated_data["page_count"],
            model_preference=form.validated_data["model_preference"],
            processing=form.processing(),
            idempotency_key=key,
            economy=form.validated_data["economy"],
        )
        return Response(
            ConfirmedSerializer({"job": job, "balance": balance}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        request=StartSerializer,
        parameters=[JOB_ID],
        responses={202: StartedSerializer, **START_ERRORS},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def start(self, request, pk=None):
        form = StartSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return start_job(request, int(pk), form)

    @extend_schema(
        request=None,
        parameters=[JOB_ID],
        responses={200: CancelledSerializer, **errors(401, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return Response(CancelledSerializer(services.job_cancel(user=request.user, job_id=pk)).data)

    @extend_schema(
        request=None,
        parameters=[JOB_ID],
        responses={200: ReconciliationSerializer, **errors(401, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def finalize(self, request, pk=None):
        return Response(ReconciliationSerializer(services.job_finalize(user=request.user, job_id=pk)).data)

    @extend_schema(parameters=[JOB_ID], responses={200: ResultSerializer, **errors(401, 404, 410, 425)})
    @action(detail=True, methods=["get"])
    def result(self, request, pk=None):
        return Response(ResultSerializer(selectors.job_result(job=self.get_job())).data)

    @extend_schema(
        parameters=[
            JOB_ID,
            OpenApiParameter(
                "format",
                str,
                enum=[*EXPORT_FORMATS],
                description="csv, json, txt, xlsx or apkg (an Anki deck: one note per sentence); without it, the one the Accept header prefers (csv for */*)",
            ),
        ],
        responses={
            **{(200, media_type): bytes for media_type in EXPORT_MEDIA_TYPES},
            **errors(400, 401, 404, 406, 410, 425),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer], content_negotiation_class=ExportNegotiation)
    def export(self, request, pk=None):
        fmt = export_format(request)
        job = self.get_job()
        if not job.is_terminal:
            raise NotReady(f"Job {job.pk} is {job.status}; export it when it has finished.")
        selectors.check_results_kept(job=job)
        stem = os.path.splitext(job.original_filename)[0] or f"job-{job.pk}"
        response = HttpResponse(
            export_job(job, fmt),
            content_type=EXPORT_FORMATS[fmt],
        )
        response["Content-Disposition"] = content_disposition_header(True, f"{stem}-sentences.{fmt}")
        return response

    @extend_schema(
        parameters=[JOB_ID, VocabularyQuerySerializer],
        responses={200: VocabularySerializer, **errors(400, 401, 404, 410, 425)},
    )
    @action(detail=True, methods=["get"])
    def vocabulary(self, request, pk=None):
        query = VocabularyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = selectors.vocabulary_page(job=self.get_job(), **query.validated_data)
        return Response(VocabularySerializer(page).data)

    @extend_schema(
        parameters=[
            JOB_ID,
            VocabularyQuerySerializer,
            OpenApiParameter(
                "format",
                str,
                enum=[*VOCABULARY_FORMATS],
                description="csv, or apkg: an Anki deck of the words with their first sentence",
            ),
        ],
        responses={
            **{(200, media_type): bytes for media_type in VOCABULARY_FORMATS.values()},
            **errors(400, 401, 404, 410, 425),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="vocabulary/export",
        renderer_classes=[JSONRenderer],
        content_negotiation_class=ExportNegotiation,
    )
    def vocabulary_export(self, request, pk=None):
        fmt = request.query_params.get("format", "csv").lower()
        if fmt not in VOCABULARY_FORMATS:
            raise DomainError(f"Unknown format {fmt!r}; use csv or apkg.", error_code="BAD_FORMAT")
        query = VocabularyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        job = self.get_job()
        filters = {name: query.validated_data[name] for name in ("pos", "min_count", "sort")}
        lemmas, _ = selectors.vocabulary_selection(job=job, **filters)
        response = HttpResponse(export_vocabulary(job, lemmas, fmt), content_type=VOCABULARY_FORMATS[fmt])
        stem = os.path.splitext(job.original_filename)[0] or f"job-{job.pk}"
        response["Content-Disposition"] = content_disposition_header(True, f"{stem}-vocabulary.{fmt}")
        return response

    @extend_schema(parameters=[JOB_ID], responses={200: JobChunksSerializer, **errors(401, 404)})
    @action(detail=True, methods=["get"])
    def chunks(self, request, pk=None):
        return Response(JobChunksSerializer(self.get_job()).data)

    @extend_schema(request=None, parameters=[JOB_ID], responses={202: JobSerializer, **errors(401, 402, 404, 409)})
    @action(detail=True, methods=["post"], url_path="chunks/retry")
    def retry_chunks(self, request, pk=None):
        job = services.job_retry_failed_chunks(user=request.user, job_id=pk)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: QueueStatsSerializer, **errors(401)})
    @action(detail=False, methods=["get"])
    def stats(self, request):
        return Response(QueueStatsSerializer(selectors.queue_stats(user=request.user)).data)


class LegacyProcessPdfAsync(APIView):
    """The predecessor's `POST /api/v1/process-pdf-async`: `pdf_file` + `job_id`."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request=LegacyStartSerializer,
        responses={202: StartedSerializer, **START_ERRORS},
    )
    def post(self, request):
        form = LegacyStartSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return start_job(request, form.validated_data["job_id"], form)
