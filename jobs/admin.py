from django.contrib import admin, messages

from jobs import services
from jobs.models import Chunk, Job, WrittenBy
from jobs.pipeline.figures import QualityFigures
from jobs.selectors import job_quality
from jobs.serializers import JobQualitySerializer
from jobs.templatetags.quality import quality_line
from novelproc.errors import DomainError

FINISH_REASONS = [
    "STOP",
    "MAX_TOKENS",
    "RECITATION",
    "SAFETY",
    "PROHIBITED_CONTENT",
    "BLOCKLIST",
    "SPII",
    "PROMPT_BLOCKED",
    "OTHER",
    "EMPTY",
]


class FinishReasonFilter(admin.SimpleListFilter):
    """Chunks (or jobs with a chunk) that drew a Gemini finish reason at least once."""

    title = "Gemini finish reason"
    parameter_name = "finish_reason"
    lookup = "finish_reasons__has_key"

    def lookups(self, request, model_admin):
        return [(reason, reason) for reason in FINISH_REASONS]

    def queryset(self, request, queryset):
        if self.value() not in FINISH_REASONS:
            return queryset
        return queryset.filter(**{self.lookup: self.value()}).distinct()


class JobFinishReasonFilter(FinishReasonFilter):
    lookup = "chunks__finish_reasons__has_key"


class JobWrittenByFilter(admin.SimpleListFilter):
    """Jobs with a chunk written (partly) by this engine."""

    title = "chunks written by"
    parameter_name = "written_by"

    def lookups(self, request, model_admin):
        return WrittenBy.choices

    def queryset(self, request, queryset):
        if self.value() not in WrittenBy.values:
            return queryset
        return queryset.filter(chunks__written_by=self.value()).distinct()


class ChunkInline(admin.TabularInline):
    model = Chunk
    extra = 0
    can_delete = False
    fields = [
        "index",
        "first_page",
        "last_page",
        "status",
        "attempts",
        "lease_expires_at",
        "input_tokens",
        "output_tokens",
        "api_calls",
        "written_by",
        "sentences_by_engine",
        "finish_reasons",
        "usage_by_model",
        "tokens_by_model",
        *QualityFigures.COUNTED,
        "error_code",
        "error",
        "timings",
    ]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "owner",
        "original_filename",
        "status",
        "engine",
        "page_count",
        "progress_percent",
        "models_used",
        "estimated_credits",
        "actual_credits",
        "created_at",
    ]
    list_filter = [
        "status",
        "engine",
        "model_preference",
        "economy",
        JobFinishReasonFilter,
        JobWrittenByFilter,
        "created_at",
    ]
    search_fields = ["original_filename", "owner__username", "owner__email", "=id"]
    date_hierarchy = "created_at"
    inlines = [ChunkInline]
    actions = ["cancel_jobs", "retry_failed_chunks", "finalize_jobs"]
    exclude = ["sentences"]

    def get_readonly_fields(self, request, obj=None):
        # Status, credits and counters change only through services (the actions below).
        return [f.name for f in Job._meta.fields] + ["quality"]

    @admin.display(description="Quality")
    def quality(self, job: Job) -> str:
        return quality_line(JobQualitySerializer(job_quality(job=job)).data)

    def has_add_permission(self, request) -> bool:
        return False

    def _run(self, request, queryset, service, done: str) -> None:
        for job in queryset:
            try:
                service(user=job.owner, job_id=job.pk)
                self.message_user(request, f"Job {job.pk}: {done}.")
            except DomainError as exc:
                self.message_user(request, f"Job {job.pk}: {exc.message}", level=messages.WARNING)

    @admin.action(description="Cancel selected jobs (releases unspent credits)")
    def cancel_jobs(self, request, queryset):
        self._run(request, queryset, services.job_cancel, "cancelled")

    @admin.action(description="Retry failed chunks of selected jobs")
    def retry_failed_chunks(self, request, queryset):
        self._run(request, queryset, services.job_retry_failed_chunks, "failed chunks queued again")

    @admin.action(description="Finalize (reconcile credits of) selected jobs")
    def finalize_jobs(self, request, queryset):
        self._run(request, queryset, services.job_finalize, "finalized")


@admin.register(Chunk)
class ChunkAdmin(admin.ModelAdmin):
    """Read-only: an operator lists chunks by finish reason and by who wrote them."""

    list_display = ["id", "job", "index", "status", "written_by", "finish_reasons", "api_calls", "tokens_by_model"]
    list_filter = ["status", "written_by", FinishReasonFilter]
    search_fields = ["=job__id"]
    exclude = ["sentences"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Chunk._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
