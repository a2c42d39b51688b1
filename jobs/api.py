"""The jobs API (SPEC §5): each action validates, calls one service, answers."""

from __future__ import annotations

import os
import tempfile

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from credits.pricing import credit_rate, credits_for_tokens
from credits.services import credits_current
from jobs import selectors, services
from jobs.exports import EXPORT_FORMATS, export_sentences
from jobs.models import Job
from jobs.pipeline.chunking import plan_chunks
from jobs.serializers import (
    ChunkSerializer,
    ConfirmSerializer,
    JobDetailSerializer,
    JobSerializer,
    LegacyStartSerializer,
    PdfUploadSerializer,
    StartSerializer,
)
from jobs.types import Reconciliation
from novelproc.errors import DomainError, NotReady
from novelproc.ratelimits import enforce_rate
from novelproc.schema import errors

JOB_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Job id")


def _started_body(request, job: Job) -> dict:
    return {
        "job_id": job.pk,
        "task_id": job.task_id,
        "status": job.status,
        "message": "PDF processing started",
        "status_url": request.build_absolute_uri(f"/api/v1/jobs/{job.pk}"),
        "ws_url": f"/ws/jobs/{job.pk}/",
    }


def start_job(request, job_id: int, form: StartSerializer) -> Response:
    enforce_rate(request, group="jobs-start", rate=settings.RATE_LIMIT_STARTS)
    job = services.job_start(
        user=request.user, job_id=job_id, upload=form.validated_data["pdf_file"], processing=form.processing()
    )
    return Response(_started_body(request, job), status=status.HTTP_202_ACCEPTED)


def _reconciliation_body(rec: Reconciliation, message: str) -> dict:
    return {
        "job_id": rec.job.pk,
        "status": rec.job.status,
        "estimated_credits": rec.estimated_credits,
        "actual_credits": rec.actual_credits,
        "adjustment": rec.adjustment,
        "refunded": rec.refunded,
        "message": message,
    }


class JobViewSet(viewsets.GenericViewSet):
    serializer_class = JobSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Job.objects.none()
        return selectors.jobs_of(user=self.request.user, status=self.request.query_params.get("status"))

    def get_job(self) -> Job:
        return selectors.get_owned_job(user=self.request.user, job_id=self.kwargs["pk"])

    @extend_schema(
        parameters=[OpenApiParameter("status", str, description="Filter by status")],
        responses={200: JobSerializer(many=True), **errors(401)},
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(JobSerializer(page, many=True).data)

    @extend_schema(responses={200: JobDetailSerializer, **errors(401, 404)})
    def retrieve(self, request, pk=None):
        return Response(JobDetailSerializer(self.get_job()).data)

    @extend_schema(responses={204: None, **errors(401, 404, 409)})
    def destroy(self, request, pk=None):
        services.job_delete(user=request.user, job_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=PdfUploadSerializer,
        responses={
            200: inline_serializer("Estimate", {"page_count": serializers.IntegerField()}),
            **errors(400, 401, 413, 415, 422),
        },
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def estimate(self, request):
        form = PdfUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["pdf_file"]
        services.check_upload_size(upload)
        with tempfile.NamedTemporaryFile(suffix=".pdf", delete=False) as tmp:
            for part in upload.chunks():
                tmp.write(part)
        try:
            info = services.pdf_inspect_upload(tmp.name)
        finally:
            os.unlink(tmp.name)
        engine = services.engine_for_new_job()
        rate = credit_rate(engine, form.validated_data["model_preference"])
        plan = plan_chunks(info.page_count, chunk_size=settings.CHUNK_SIZE_OVERRIDE)
        tokens = services.start_estimate_tokens(info=info, engine=engine)
        credits = credits_for_tokens(tokens, rate)
        balance = credits_current(user=request.user).balance
        return Response(
            {
                "page_count": info.page_count,
                "engine": engine,
                "model_preference": form.validated_data["model_preference"],
                "chunk_plan": {
                    "chunk_size": plan.chunk_size,
                    "parallel": plan.parallel,
                    "strategy": plan.strategy,
                    "total_chunks": len(plan.ranges),
                    "overlap_pages": 1,
                },
                "estimated_tokens": tokens,
                "estimated_credits": credits,
                "credit_rate": rate,
                "balance": balance,
                "balance_after": balance - credits,
            }
        )

    @extend_schema(
        request=ConfirmSerializer,
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
        responses={
            201: inline_serializer(
                "Confirmed",
                {
                    "job_id": serializers.IntegerField(),
                    "status": serializers.CharField(),
                    "estimated_credits": serializers.IntegerField(),
                    "reserved": serializers.BooleanField(),
                    "balance": serializers.IntegerField(),
                },
            ),
            **errors(400, 401, 402, 422, 429),
        },
    )
    @action(detail=False, methods=["post"], parser_classes=[JSONParser, FormParser, MultiPartParser])
    def confirm(self, request):
        form = ConfirmSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip()[:100]
        if not key or not selectors.confirm_key_used(user=request.user, key=key):
            enforce_rate(request, group="jobs-confirm", rate=settings.RATE_LIMIT_CONFIRMS)
        job, balance, created = services.job_confirm(
            user=request.user,
            original_filename=form.validated_data["original_filename"],
            page_count=form.validated_data["page_count"],
            model_preference=form.validated_data["model_preference"],
            processing=form.processing(),
            idempotency_key=key,
        )
        body = {
            "job_id": job.pk,
            "status": job.status,
            "estimated_credits": job.estimated_credits,
            "reserved": True,
            "balance": balance,
        }
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        request=StartSerializer,
        parameters=[JOB_ID],
        responses={
            202: inline_serializer(
                "Started",
                {
                    "job_id": serializers.IntegerField(),
                    "task_id": serializers.CharField(),
                    "status": serializers.CharField(),
                    "message": serializers.CharField(),
                    "status_url": serializers.CharField(),
                    "ws_url": serializers.CharField(),
                },
            ),
            **errors(400, 401, 402, 404, 409, 413, 415, 422, 429, 503),
        },
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def start(self, request, pk=None):
        form = StartSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return start_job(request, int(pk), form)

    @extend_schema(
        request=None,
        parameters=[JOB_ID],
        responses={
            200: inline_serializer(
                "Cancelled",
                {
                    "message": serializers.CharField(),
                    "job_id": serializers.IntegerField(),
                    "status": serializers.CharField(),
                    "refunded_credits": serializers.IntegerField(),
                    "charged_credits": serializers.IntegerField(),
                },
            ),
            **errors(401, 404, 409),
        },
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        rec = services.job_cancel(user=request.user, job_id=pk)
        return Response(
            {
                "message": "Job cancelled successfully",
                "job_id": rec.job.pk,
                "status": rec.job.status,
                "refunded_credits": rec.refunded,
                "charged_credits": rec.actual_credits,
            }
        )

    @extend_schema(
        request=None,
        parameters=[JOB_ID],
        responses={
            200: inline_serializer(
                "Reconciliation",
                {
                    "job_id": serializers.IntegerField(),
                    "status": serializers.CharField(),
                    "estimated_credits": serializers.IntegerField(),
                    "actual_credits": serializers.IntegerField(),
                    "adjustment": serializers.IntegerField(),
                    "refunded": serializers.IntegerField(),
                    "message": serializers.CharField(),
                },
            ),
            **errors(401, 404, 409),
        },
    )
    @action(detail=True, methods=["post"])
    def finalize(self, request, pk=None):
        rec = services.job_finalize(user=request.user, job_id=pk)
        return Response(_reconciliation_body(rec, "Credits reconciled with the work done"))

    @extend_schema(
        parameters=[JOB_ID],
        responses={
            200: inline_serializer(
                "Result",
                {
                    "job_id": serializers.IntegerField(),
                    "status": serializers.CharField(),
                    "sentences": serializers.ListField(child=serializers.CharField()),
                },
            ),
            **errors(401, 404, 425),
        },
    )
    @action(detail=True, methods=["get"])
    def result(self, request, pk=None):
        job = self.get_job()
        if not job.is_terminal:
            raise NotReady(
                f"Job {job.pk} is {job.status} ({job.progress_percent}%); results come when it has finished."
            )
        failed = selectors.failed_chunk_indexes(job=job)
        return Response(
            {
                "job_id": job.pk,
                "status": job.status,
                "partial": bool(failed) or job.status != "completed",
                "failed_chunks": failed,
                "sentence_count": len(job.sentences),
                "sentences": job.sentences,
            }
        )

    @extend_schema(
        parameters=[
            JOB_ID,
            OpenApiParameter("format", str, enum=[*EXPORT_FORMATS], description="csv, json, txt or xlsx"),
        ],
        responses={(200, "application/octet-stream"): bytes, **errors(400, 401, 404, 425)},
    )
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        fmt = request.query_params.get("format", "csv").lower()
        if fmt not in EXPORT_FORMATS:
            raise DomainError(
                f"Unknown format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}.", error_code="BAD_FORMAT"
            )
        job = self.get_job()
        if not job.is_terminal:
            raise NotReady(f"Job {job.pk} is {job.status}; export it when it has finished.")
        stem = os.path.splitext(job.original_filename)[0] or f"job-{job.pk}"
        response = HttpResponse(
            export_sentences(job.sentences, fmt, title=job.original_filename), content_type=EXPORT_FORMATS[fmt]
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{stem.encode("ascii", "replace").decode()}-sentences.{fmt}"'
        )
        return response

    @extend_schema(
        parameters=[JOB_ID],
        responses={
            200: inline_serializer(
                "Chunks", {"summary": serializers.DictField(), "chunks": ChunkSerializer(many=True)}
            ),
            **errors(401, 404),
        },
    )
    @action(detail=True, methods=["get"])
    def chunks(self, request, pk=None):
        job = self.get_job()
        return Response(
            {
                "job_id": job.pk,
                "summary": selectors.chunk_summary(job=job),
                "chunks": ChunkSerializer(job.chunks.all(), many=True).data,
            }
        )

    @extend_schema(request=None, parameters=[JOB_ID], responses={202: JobSerializer, **errors(401, 402, 404, 409)})
    @action(detail=True, methods=["post"], url_path="chunks/retry")
    def retry_chunks(self, request, pk=None):
        job = services.job_retry_failed_chunks(user=request.user, job_id=pk)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={200: inline_serializer("QueueStats", {"pending": serializers.IntegerField()}), **errors(401)}
    )
    @action(detail=False, methods=["get"])
    def stats(self, request):
        return Response(
            selectors.queue_stats()
            | {
                "limits": {
                    "max_active_jobs_per_user": settings.MAX_ACTIVE_JOBS_PER_USER,
                    "max_queued_jobs": settings.MAX_QUEUED_JOBS,
                    "max_pages": settings.MAX_PDF_PAGES,
                    "max_upload_mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024),
                    "starts_per_user": settings.RATE_LIMIT_STARTS,
                },
            }
        )


class LegacyProcessPdfAsync(APIView):
    """The predecessor's `POST /api/v1/process-pdf-async`: `pdf_file` + `job_id`."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request=LegacyStartSerializer,
        responses={202: JobSerializer, **errors(400, 401, 402, 404, 409, 413, 415, 422, 429, 503)},
    )
    def post(self, request):
        form = LegacyStartSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return start_job(request, form.validated_data["job_id"], form)
