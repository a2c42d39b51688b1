import copy

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from jobs.models import DEFAULT_SETTINGS, Chunk, Job, ModelPreference, Rewrite
from jobs.pipeline.figures import QualityFigures
from jobs.pipeline.vocabulary import BANDS, CONTENT_POS, COUNTED_POS, SORTS
from jobs.selectors import TASK_STATES, chunk_summary, failed_chunk_indexes, job_quality, queue_position
from jobs.sockets import socket_path
from jobs.types import Bounds, ProcessingSettings, Reconciliation


def bounded(bounds: Bounds) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=bounds.low, max_value=bounds.high, default=bounds.default)


class ProcessingSettingsSerializer(serializers.Serializer):
    sentence_length_limit = bounded(Job.SENTENCE_LIMIT)
    min_sentence_length = bounded(Job.MIN_LENGTH)
    ignore_dialogue = serializers.BooleanField(default=DEFAULT_SETTINGS.ignore_dialogue)
    preserve_formatting = serializers.BooleanField(default=DEFAULT_SETTINGS.preserve_formatting)
    fix_hyphenation = serializers.BooleanField(default=DEFAULT_SETTINGS.fix_hyphenation)
    rewrite = serializers.ChoiceField(
        choices=Rewrite.choices,
        default=DEFAULT_SETTINGS.rewrite,
        help_text="simplify: long sentences rewritten into complete short ones (the local engine may add a subject, "
        "a pronoun or a copula, never content); split: cut, no word added or lost.",
    )

    def validate(self, attrs: dict) -> dict:
        limit = attrs.get("sentence_length_limit", Job.SENTENCE_LIMIT.default)
        shortest = attrs.get("min_sentence_length", Job.MIN_LENGTH.default)
        if shortest > limit:
            raise serializers.ValidationError(
                {"min_sentence_length": f"must not exceed sentence_length_limit ({shortest} > {limit})."}
            )
        return attrs

    def to_settings(self) -> ProcessingSettings:
        return ProcessingSettings(**self.validated_data)


class PdfUploadSerializer(serializers.Serializer):
    pdf_file = serializers.FileField(allow_empty_file=True)
    model_preference = serializers.ChoiceField(choices=ModelPreference.choices, default=ModelPreference.BALANCED)
    economy = serializers.BooleanField(
        default=False,
        help_text="Run the Gemini calls on the Flex tier: half price, slower answers (ignored by the local engine).",
    )


def no_control_characters(value: str) -> None:
    # The name goes into the export's Content-Disposition and the pages; a
    # newline or NUL there has no business in a file name.
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise serializers.ValidationError("must not contain control characters (newlines, tabs, NUL).")


class ConfirmSerializer(serializers.Serializer):
    original_filename = serializers.CharField(max_length=255, validators=[no_control_characters])
    page_count = serializers.IntegerField(min_value=1)
    model_preference = serializers.ChoiceField(choices=ModelPreference.choices, default=ModelPreference.BALANCED)
    economy = serializers.BooleanField(
        default=False,
        help_text="Run the Gemini calls on the Flex tier: half price, slower answers (ignored by the local engine).",
    )
    processing_settings = ProcessingSettingsSerializer(required=False)

    def processing(self) -> ProcessingSettings:
        nested = ProcessingSettingsSerializer(data=self.initial_data.get("processing_settings") or {})
        nested.is_valid(raise_exception=True)
        return nested.to_settings()


class StartSerializer(ProcessingSettingsSerializer):
    """Multipart: the PDF and, optionally, settings that replace the confirmed ones."""

    pdf_file = serializers.FileField(allow_empty_file=True)
    gemini_model = serializers.ChoiceField(
        choices=ModelPreference.choices,
        required=False,
        help_text="Accepted for the predecessor's form; the model is fixed at confirm.",
    )

    def processing(self) -> ProcessingSettings | None:
        if not set(self.initial_data) & set(ProcessingSettings.names()):
            return None
        return ProcessingSettings(**{name: self.validated_data[name] for name in ProcessingSettings.names()})


class LegacyStartSerializer(StartSerializer):
    job_id = serializers.IntegerField()


class RatesSerializer(serializers.Serializer):
    """Credits per 1000 tokens, each side apart (output costs 4–8× input)."""

    input = serializers.FloatField()
    output = serializers.FloatField()


class JobSerializer(serializers.ModelSerializer):
    job_id = serializers.IntegerField(source="id", read_only=True)
    user_id = serializers.IntegerField(source="owner_id", read_only=True)
    model = serializers.CharField(source="model_name", read_only=True)
    failed_chunks = serializers.SerializerMethodField()
    task_state = serializers.SerializerMethodField()
    queue_position = serializers.SerializerMethodField()
    gemini_tokens_used = serializers.IntegerField(source="total_tokens", read_only=True)
    celery_task_id = serializers.CharField(source="task_id", read_only=True)
    estimate_rates = RatesSerializer(read_only=True, help_text="The rates the reservation was reckoned at.")
    processing_settings = serializers.SerializerMethodField()
    sentence_count = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "job_id",
            "user_id",
            "status",
            "original_filename",
            "page_count",
            "engine",
            "model_preference",
            "model",
            "economy",
            "processing_settings",
            "estimated_credits",
            "actual_credits",
            "estimate_rates",
            "credit_rates",
            "pricing_version",
            "progress_percent",
            "current_step",
            "total_chunks",
            "processed_chunks",
            "failed_chunks",
            "parallel",
            "chunk_size",
            "strategy",
            "section_pages",
            "calls_in_flight",
            "expected_seconds",
            "task_id",
            "celery_task_id",
            "task_state",
            "queue_position",
            "input_tokens",
            "output_tokens",
            "total_tokens",
            "gemini_tokens_used",
            "gemini_api_calls",
            "models_used",
            "error_code",
            "error_message",
            "sentence_count",
            "created_at",
            "queued_at",
            "started_at",
            "completed_at",
            "cancelled_at",
            "processing_time_seconds",
        ]
        read_only_fields = fields

    def get_fields(self) -> dict[str, serializers.Field]:
        # ModelSerializer builds its fields from the model for every instance,
        # a third of a status read's serializer time; a class's fields never
        # change, so they are built once and copied per instance, as DRF
        # copies declared fields (a copy, because binding sets its parent).
        cls = type(self)
        if "_built_fields" not in cls.__dict__:
            cls._built_fields = super().get_fields()
        return copy.deepcopy(cls._built_fields)

    def get_failed_chunks(self, job: Job) -> list[int]:
        return failed_chunk_indexes(job=job) if job.failed_chunk_count else []

    def get_task_state(self, job: Job) -> dict:
        return {
            "state": TASK_STATES[job.status],
            "info": {"processed_chunks": job.processed_chunks, "total_chunks": job.total_chunks},
        }

    def get_queue_position(self, job: Job) -> int | None:
        # The status read has counted it already, for its ETag.
        if "queue_position" in self.context:
            return self.context["queue_position"]
        return queue_position(job=job)

    def get_processing_settings(self, job: Job) -> dict:
        return ProcessingSettings.from_job(job).as_fields()

    def get_sentence_count(self, job: Job) -> int | None:
        return job.sentence_count if job.is_terminal else None


class JobQualitySerializer(serializers.Serializer):
    """The engine's quality figures over the job's output so far."""

    # Renders a QualityFigures: the API's `quality` object, and the job socket's.

    sentences = serializers.IntegerField(help_text="Output sentences so far (the result's, once finished).")
    sentences_over_limit = serializers.IntegerField(
        help_text="Output sentences with more words than the limit (measured)."
    )
    over_limit_share = serializers.FloatField(help_text="sentences_over_limit / sentences; 0 when there are none.")
    lines_judged = serializers.IntegerField(help_text="Output lines the judge read (SPEC §8).")
    complete_lines = serializers.IntegerField(help_text="Of those, lines that read as a French sentence on their own.")
    complete_share = serializers.FloatField(
        allow_null=True, help_text="complete_lines / lines_judged; null before any."
    )
    source_sentences = serializers.IntegerField(help_text="The book's own sentences, judged the same way.")
    complete_source_sentences = serializers.IntegerField(help_text="Of those, sentences that read as one.")
    source_complete_share = serializers.FloatField(
        allow_null=True, help_text="The book's own complete share: what complete_share compares with."
    )
    source_content = serializers.IntegerField(help_text="Content lemmas of the source (per source sentence).")
    kept_content = serializers.IntegerField(help_text="Of those, kept by the output.")
    content_coverage = serializers.FloatField(allow_null=True, help_text="kept_content / source_content.")
    output_content = serializers.IntegerField(help_text="Content lemmas of the output.")
    invented_content = serializers.IntegerField(help_text="Of those, found nowhere in the source.")
    invented_share = serializers.FloatField(allow_null=True, help_text="invented_content / output_content.")
    words = serializers.IntegerField(help_text="Words in the output sentences.")
    words_per_second = serializers.FloatField(
        allow_null=True, help_text="Output words per second of engine time; null before any."
    )


class JobDetailSerializer(JobSerializer):
    quality = serializers.SerializerMethodField()

    class Meta(JobSerializer.Meta):
        fields = [*JobSerializer.Meta.fields, "quality"]
        read_only_fields = fields

    @extend_schema_field(JobQualitySerializer)
    def get_quality(self, job: Job) -> dict:
        return JobQualitySerializer(job_quality(job=job)).data


class ChunkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Chunk
        fields = [
            "index",
            "first_page",
            "last_page",
            "overlap_pages",
            "status",
            "attempts",
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
            "started_at",
            "finished_at",
            "timings",
        ]


# --- Answers of the job actions: what they render, and what the schema documents ------


class ChunkPlanSerializer(serializers.Serializer):
    chunk_size = serializers.IntegerField()
    parallel = serializers.IntegerField(help_text="Chunks of the job in flight at once.")
    strategy = serializers.CharField(help_text="latency (chosen for wall time), or the seeds' table's row.")
    total_chunks = serializers.IntegerField()
    overlap_pages = serializers.IntegerField()
    section_pages = serializers.IntegerField(help_text="Pages a Gemini call holds (0: one call a chunk).")
    total_calls = serializers.IntegerField(help_text="Gemini calls the plan sends (repairs aside).")
    calls_in_flight = serializers.IntegerField(help_text="Gemini calls of the job at once (0: one a chunk in flight).")
    expected_seconds = serializers.FloatField(help_text="The calls' expected wall time (0: not planned for latency).")


class EstimateSerializer(serializers.Serializer):
    """What the book would cost as a new job; nothing is created or reserved."""

    # Renders a types.Estimate.

    page_count = serializers.IntegerField()
    engine = serializers.CharField()
    model_preference = serializers.CharField()
    economy = serializers.BooleanField(help_text="On the Flex tier: half price (false on the local engine).")
    chunk_plan = ChunkPlanSerializer(source="plan")
    estimated_tokens = serializers.IntegerField()
    estimated_input_tokens = serializers.IntegerField(source="tokens.input")
    estimated_output_tokens = serializers.IntegerField(source="tokens.output")
    estimated_credits = serializers.IntegerField()
    credit_rates = RatesSerializer(help_text="The rates the estimate is reckoned at, as the charge bills.")
    balance = serializers.IntegerField()
    balance_after = serializers.IntegerField()


class ConfirmedSerializer(serializers.Serializer):
    """A confirmed job: its estimate is reserved."""

    # Renders {"job": Job, "balance": int}.

    job_id = serializers.IntegerField(source="job.pk")
    status = serializers.CharField(source="job.status")
    estimated_credits = serializers.IntegerField(source="job.estimated_credits")
    reserved = serializers.SerializerMethodField()
    balance = serializers.IntegerField()

    def get_reserved(self, confirmed) -> bool:
        return True  # confirming is reserving: a confirmed job always holds its estimate


class StartedSerializer(serializers.Serializer):
    """A started job, queued: where to follow it."""

    # Renders a Job; needs the request in its context.

    job_id = serializers.IntegerField(source="pk")
    task_id = serializers.CharField()
    status = serializers.CharField()
    message = serializers.SerializerMethodField()
    status_url = serializers.SerializerMethodField()
    ws_url = serializers.SerializerMethodField()

    def get_message(self, job: Job) -> str:
        return "PDF processing started"

    def get_status_url(self, job: Job) -> str:
        return self.context["request"].build_absolute_uri(reverse("job-detail", args=[job.pk]))

    def get_ws_url(self, job: Job) -> str:
        return socket_path(job.pk)


class CancelledSerializer(serializers.Serializer):
    """A cancelled job: finished chunks charged, every other credit released."""

    # Renders a types.Reconciliation.

    message = serializers.SerializerMethodField()
    job_id = serializers.IntegerField(source="job.pk")
    status = serializers.CharField(source="job.status")
    refunded_credits = serializers.IntegerField(source="refunded")
    charged_credits = serializers.IntegerField(source="actual_credits")

    def get_message(self, reconciliation: Reconciliation) -> str:
        return "Job cancelled successfully"


class ReconciliationSerializer(serializers.Serializer):
    """The credits of a finished job: charged for the work done, the rest released."""

    # Renders a types.Reconciliation.

    job_id = serializers.IntegerField(source="job.pk")
    status = serializers.CharField(source="job.status")
    estimated_credits = serializers.IntegerField()
    actual_credits = serializers.IntegerField()
    adjustment = serializers.IntegerField()
    refunded = serializers.IntegerField()
    message = serializers.SerializerMethodField()

    def get_message(self, reconciliation: Reconciliation) -> str:
        return "Credits reconciled with the work done"


class ChapterSerializer(serializers.Serializer):
    """A chapter of the result: the headings the engine found in the book's text."""

    number = serializers.IntegerField(help_text="1 for the first heading; 0 for the text before it, if any.")
    title = serializers.CharField(
        allow_blank=True, help_text='The heading as the book has it ("" before the first one).'
    )
    first = serializers.IntegerField(help_text="Its first sentence (numbered from 1, as the exports' Index).")
    last = serializers.IntegerField(help_text="Its last sentence.")


class ResultSerializer(serializers.Serializer):
    """The sentences of a finished job, partial when some chunks failed."""

    # Renders a selectors.JobResult.

    job_id = serializers.IntegerField(source="job.pk")
    status = serializers.CharField(source="job.status")
    partial = serializers.BooleanField(help_text="Some chunks failed, or the job did not complete.")
    failed_chunks = serializers.ListField(child=serializers.IntegerField())
    sentence_count = serializers.IntegerField()
    sentences = serializers.ListField(child=serializers.CharField(allow_blank=True), source="job.sentences")
    chapters = ChapterSerializer(many=True, source="job.chapters")


# What an empty query means (the vocabulary page falls back on it when its query is wrong).
VOCABULARY_DEFAULTS = {"min_count": 1, "pos": list(CONTENT_POS), "sort": "usefulness", "page": 1}


class VocabularyQuerySerializer(serializers.Serializer):
    """Which lemmas, in which order: the query of GET jobs/{id}/vocabulary (and of its export)."""

    min_count = serializers.IntegerField(min_value=1, default=1, help_text="Only lemmas seen at least this often.")
    pos = serializers.CharField(
        default=",".join(CONTENT_POS),
        help_text=f"Parts of speech, comma-separated, among {', '.join(COUNTED_POS)} (PROPN: the proper names, apart).",
    )
    sort = serializers.ChoiceField(choices=list(SORTS), default="usefulness")
    page = serializers.IntegerField(min_value=1, default=1)

    def validate_pos(self, value: str) -> list[str]:
        chosen = [part.strip().upper() for part in value.split(",") if part.strip()]
        unknown = sorted(set(chosen) - set(COUNTED_POS))
        if unknown or not chosen:
            raise serializers.ValidationError(
                f"Choose among {', '.join(COUNTED_POS)}; not {', '.join(unknown) or 'none'}."
            )
        return chosen


class LemmaSerializer(serializers.Serializer):
    lemma = serializers.CharField()
    pos = serializers.CharField(help_text="NOUN, VERB, ADJ, ADV, or PROPN for a proper name.")
    count = serializers.IntegerField(help_text="Times it occurs in the book's sentences.")
    forms = serializers.ListField(child=serializers.CharField(), help_text="The forms seen, the commonest first.")
    first_sentence = serializers.CharField(help_text="The first sentence of the book it occurs in (the source text).")
    zipf = serializers.FloatField(help_text="Its frequency in French at large (wordfreq's Zipf scale; 0: not listed).")
    band = serializers.ChoiceField(
        choices=[name for name, _ in BANDS], help_text="core ≥ 5 > common ≥ 4 > intermediate ≥ 3 > rare."
    )
    usefulness = serializers.FloatField(help_text="count × min(3, 5 − zipf): frequent here, not among the commonest.")


class VocabularySerializer(serializers.Serializer):
    """One page of a job's vocabulary."""

    job_id = serializers.IntegerField()
    total = serializers.IntegerField(help_text="Lemmas that match the query.")
    proper_names = serializers.IntegerField(help_text="Proper names in the book (list them with pos=PROPN).")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    page_size = serializers.IntegerField()
    min_count = serializers.IntegerField()
    pos = serializers.ListField(child=serializers.CharField())
    sort = serializers.CharField()
    lemmas = LemmaSerializer(many=True)


@extend_schema_serializer(component_name="Chunks")
class JobChunksSerializer(serializers.Serializer):
    """The job's chunks and how many are in each state."""

    # Renders a Job.

    job_id = serializers.IntegerField(source="pk")
    summary = serializers.SerializerMethodField()
    chunks = ChunkSerializer(many=True)

    def get_summary(self, job: Job) -> dict[str, int]:
        return chunk_summary(job=job)


class QueueLimitsSerializer(serializers.Serializer):
    max_active_jobs_per_user = serializers.IntegerField()
    max_queued_jobs = serializers.IntegerField()
    max_pages = serializers.IntegerField()
    max_upload_mb = serializers.IntegerField()
    starts_per_user = serializers.CharField()


class QueueStatsSerializer(serializers.Serializer):
    """The queue now, and the limits it runs under: the caller's own jobs, or
    every user's for staff (`scope` says which)."""

    scope = serializers.ChoiceField(choices=["own", "all"], help_text="own: the caller's jobs; all: staff only.")
    pending = serializers.IntegerField(help_text="Jobs queued and not yet running.")
    running = serializers.IntegerField(help_text="Chunks running now.")
    active_jobs = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    workers_alive = serializers.IntegerField()
    limits = QueueLimitsSerializer()
