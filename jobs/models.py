"""Jobs and their chunks: the vocabulary and the single-row rules.

Only `jobs.services` writes `Job.status` and `Chunk.status`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from jobs.types import MIN_LENGTH, REWRITE_MODES, SENTENCE_LIMIT, Bounds, ProcessingSettings
from novelproc.errors import InvalidTransition


class JobStatus(models.TextChoices):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Engine(models.TextChoices):
    LOCAL = "local"
    GEMINI = "gemini"


class WrittenBy(models.TextChoices):
    """Who wrote a recorded chunk's sentences: on Gemini, the local engine
    takes over what Gemini refused or could not keep within the limit."""

    GEMINI = "gemini"
    LOCAL = "local"
    MIXED = "mixed"


class Rewrite(models.TextChoices):
    SIMPLIFY = "simplify", "Simplify: complete short sentences"
    SPLIT = "split", "Split: the book's own words, cut"


assert tuple(Rewrite.values) == REWRITE_MODES  # one list of modes, for the pipeline and the rows


class ModelPreference(models.TextChoices):
    SPEED = "speed"
    BALANCED = "balanced"
    QUALITY = "quality"


ACTIVE_STATUSES = (JobStatus.PENDING, JobStatus.PROCESSING)
TERMINAL_STATUSES = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)

# Terminal states never change, except that retrying the failed chunks of a
# completed or failed job reopens it (SPEC §3). Cancelled is final.
JOB_TRANSITIONS: dict[str, set[str]] = {
    JobStatus.PENDING: {JobStatus.PROCESSING, JobStatus.CANCELLED, JobStatus.FAILED},
    JobStatus.PROCESSING: {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED},
    JobStatus.COMPLETED: {JobStatus.PROCESSING},
    JobStatus.FAILED: {JobStatus.PROCESSING},
    JobStatus.CANCELLED: set(),
}


DEFAULT_SETTINGS = ProcessingSettings()


def in_bounds(field: str, bounds: Bounds) -> Q:
    return Q(**{f"{field}__gte": bounds.low, f"{field}__lte": bounds.high})


class QualityCounts(models.Model):
    """The judge's counts (jobs.pipeline.figures.QualityFigures.COUNTED): a
    chunk's for its output, a job's summed over its recorded chunks."""

    lines_judged = models.PositiveIntegerField(default=0, help_text="Output lines the judge read.")
    complete_lines = models.PositiveIntegerField(default=0, help_text="Of those, lines that read as a sentence.")
    source_sentences = models.PositiveIntegerField(default=0, help_text="Source sentences judged the same way.")
    complete_source_sentences = models.PositiveIntegerField(
        default=0, help_text="Of those, source sentences that read as a sentence."
    )
    source_content = models.PositiveIntegerField(default=0, help_text="Content lemmas of the source sentences.")
    kept_content = models.PositiveIntegerField(default=0, help_text="Of those, kept by the output.")
    output_content = models.PositiveIntegerField(default=0, help_text="Content lemmas of the output.")
    invented_content = models.PositiveIntegerField(default=0, help_text="Of those, not in the source.")
    sentences_over_limit = models.PositiveIntegerField(default=0, help_text="Output sentences over the word limit.")
    words = models.PositiveIntegerField(default=0, help_text="Words in the output sentences.")

    class Meta:
        abstract = True


def quality_constraints(prefix: str) -> list[models.CheckConstraint]:
    """Each part within its whole, for a QualityCounts row."""
    parts = [
        ("complete_lines", "lines_judged"),
        ("complete_source_sentences", "source_sentences"),
        ("kept_content", "source_content"),
        ("invented_content", "output_content"),
    ]
    return [
        models.CheckConstraint(name=f"{prefix}_{part}_le_{whole}", condition=Q(**{f"{part}__lte": models.F(whole)}))
        for part, whole in parts
    ]


class Job(QualityCounts):
    # The processing settings' ranges and defaults (written in jobs.types):
    # the constraints below, the serializers, the commands and the upload page use these.
    SENTENCE_LIMIT = SENTENCE_LIMIT
    MIN_LENGTH = MIN_LENGTH

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs")
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING, db_index=True)
    original_filename = models.CharField(max_length=255)
    pdf_file = models.FileField(upload_to="uploads/%Y/%m/", blank=True, max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    page_count = models.PositiveIntegerField()
    confirm_key = models.CharField(
        max_length=100, blank=True, default="", help_text="Idempotency-Key of the confirm request."
    )
    confirm_fingerprint = models.CharField(
        max_length=64, blank=True, default="", help_text="What was confirmed under that key (SHA-256 of the request)."
    )

    engine = models.CharField(max_length=10, choices=Engine.choices, default=Engine.LOCAL)
    model_preference = models.CharField(
        max_length=10, choices=ModelPreference.choices, default=ModelPreference.BALANCED
    )
    model_name = models.CharField(max_length=64, blank=True)
    economy = models.BooleanField(
        default=False, help_text="Gemini calls on the Flex service tier: half price, slower answers, best effort."
    )
    sentence_length_limit = models.PositiveSmallIntegerField(default=DEFAULT_SETTINGS.sentence_length_limit)
    min_sentence_length = models.PositiveSmallIntegerField(default=DEFAULT_SETTINGS.min_sentence_length)
    ignore_dialogue = models.BooleanField(default=DEFAULT_SETTINGS.ignore_dialogue)
    preserve_formatting = models.BooleanField(default=DEFAULT_SETTINGS.preserve_formatting)
    fix_hyphenation = models.BooleanField(default=DEFAULT_SETTINGS.fix_hyphenation)
    rewrite = models.CharField(max_length=8, choices=Rewrite.choices, default=DEFAULT_SETTINGS.rewrite)

    # Credits: the reservation is what was held in total; the ledger is the truth.
    estimated_credits = models.PositiveIntegerField(default=0)
    actual_credits = models.PositiveIntegerField(null=True, blank=True)
    estimate_rates = models.JSONField(
        default=dict,
        blank=True,
        help_text="Credits per 1000 input and per 1000 output tokens the estimate and reservation were reckoned at.",
    )
    credit_rates = models.JSONField(
        default=dict,
        blank=True,
        help_text="Credits per 1000 input and output tokens of each model billed, from its price (set at settlement).",
    )
    pricing_version = models.CharField(max_length=32)
    billing_round = models.PositiveSmallIntegerField(default=1, help_text="Raised when failed chunks are retried.")
    settled_round = models.PositiveSmallIntegerField(default=0)

    input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    total_tokens = models.PositiveBigIntegerField(default=0)
    gemini_api_calls = models.PositiveIntegerField(default=0)
    models_used = models.JSONField(
        default=list,
        blank=True,
        help_text="The Gemini models whose text was kept, and 'local' when the local engine wrote some (recorded chunks).",
    )

    # The engine's quality figures (SPEC §8, QualityCounts), summed over the recorded chunks.
    engine_seconds = models.FloatField(
        default=0, help_text="Seconds the engine spent on the recorded chunks, summed over chunks."
    )

    chunk_size = models.PositiveIntegerField(null=True, blank=True)
    parallel = models.PositiveSmallIntegerField(default=1)
    strategy = models.CharField(max_length=16, blank=True)
    # The plan's Gemini side (jobs.pipeline.chunking): pages a call holds (0:
    # one call a chunk), calls in flight at once, and the calls' expected time.
    section_pages = models.PositiveSmallIntegerField(default=0)
    calls_in_flight = models.PositiveSmallIntegerField(default=0)
    expected_seconds = models.FloatField(default=0)
    total_chunks = models.PositiveIntegerField(default=0)
    processed_chunks = models.PositiveIntegerField(default=0)
    failed_chunk_count = models.PositiveIntegerField(default=0)
    # Stored, so that a status read never loads or counts sentences: those of
    # the succeeded chunks so far, the result's once finished.
    sentence_count = models.PositiveIntegerField(default=0)
    progress_percent = models.PositiveSmallIntegerField(default=0)
    current_step = models.CharField(max_length=120, blank=True)

    sentences = models.JSONField(default=list, blank=True)
    chapters = models.JSONField(
        default=list,
        blank=True,
        help_text="The result's chapters, merged from the chunks': {number, title, first, last} (sentences numbered from 1).",
    )
    sources = models.JSONField(
        default=list,
        blank=True,
        help_text='The source sentence of each of `sentences` (same length; "" where the engine could not say).',
    )
    # Merged once when the job finishes, so that a vocabulary page reads one
    # row instead of merging and rating every chunk's lemmas per request.
    vocabulary = models.JSONField(
        default=list,
        blank=True,
        help_text="The book's lemmas, merged from the chunks' and rated (jobs.pipeline.vocabulary.Lemma fields).",
    )
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    processing_time_seconds = models.FloatField(null=True, blank=True)
    file_deleted_at = models.DateTimeField(null=True, blank=True)
    results_deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="Sentences deleted after RESULT_RETENTION_DAYS; the row and its ledger stay."
    )
    # A deleted job keeps its row: the append-only ledger's rows point at it.
    deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="Deleted by its owner: hidden everywhere, results dropped."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            *quality_constraints("job"),
            models.CheckConstraint(
                name="job_sentence_limit_range", condition=in_bounds("sentence_length_limit", SENTENCE_LIMIT)
            ),
            models.CheckConstraint(name="job_min_length_range", condition=in_bounds("min_sentence_length", MIN_LENGTH)),
            models.CheckConstraint(
                name="job_min_length_within_limit",
                condition=Q(min_sentence_length__lte=models.F("sentence_length_limit")),
            ),
            models.CheckConstraint(name="job_progress_range", condition=Q(progress_percent__lte=100)),
            models.CheckConstraint(
                name="job_processed_le_total", condition=Q(processed_chunks__lte=models.F("total_chunks"))
            ),
            models.CheckConstraint(name="job_status_valid", condition=Q(status__in=JobStatus.values)),
            models.CheckConstraint(name="job_rewrite_valid", condition=Q(rewrite__in=REWRITE_MODES)),
            models.UniqueConstraint(
                name="job_confirm_key_per_owner", fields=["owner", "confirm_key"], condition=~Q(confirm_key="")
            ),
        ]
        indexes = [models.Index(fields=["owner", "status"])]

    def __str__(self) -> str:
        return f"Job {self.pk} ({self.original_filename}, {self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def recorded_chunks(self) -> int:
        """Chunks that succeeded: a retry takes failed ones out of both counters."""
        return self.processed_chunks - self.failed_chunk_count

    def check_transition(self, to: str) -> None:
        if to not in JOB_TRANSITIONS[self.status]:
            raise InvalidTransition(f"A {self.status} job cannot become {to}.")


class ChunkStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


CHUNK_DONE_STATUSES = (ChunkStatus.SUCCEEDED, ChunkStatus.FAILED, ChunkStatus.CANCELLED)
# The steps a recorded chunk's `timings` has seconds for (jobs.processing):
# reading pages, cleaning them, waiting for a Gemini call slot, the engine,
# counting the vocabulary.
CHUNK_STAGES = ("pdf", "cleaning", "slot_wait", "engine", "vocabulary")

# A chunk is claimed (running), then done. A running chunk whose lease expired
# is claimed again (running → running); retrying a finished job's failed
# chunks makes them pending. Succeeded and cancelled are final.
CHUNK_TRANSITIONS: dict[str, set[str]] = {
    ChunkStatus.PENDING: {ChunkStatus.RUNNING, ChunkStatus.CANCELLED},
    ChunkStatus.RUNNING: {ChunkStatus.RUNNING, ChunkStatus.SUCCEEDED, ChunkStatus.FAILED, ChunkStatus.CANCELLED},
    ChunkStatus.SUCCEEDED: set(),
    ChunkStatus.FAILED: {ChunkStatus.PENDING},
    ChunkStatus.CANCELLED: set(),
}


def chunk_statuses_before(to: str) -> list[str]:
    """The statuses from which a chunk may become `to`."""
    return [status for status, targets in CHUNK_TRANSITIONS.items() if to in targets]


class Chunk(QualityCounts):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    first_page = models.PositiveIntegerField()
    last_page = models.PositiveIntegerField()
    overlap_pages = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=16, choices=ChunkStatus.choices, default=ChunkStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claim_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True, help_text="Last time a task for this chunk was queued.")
    call_slot_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Since when this chunk holds one of its job's `parallel` Gemini call slots (its pages are read ahead, outside the slots).",
    )

    input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    api_calls = models.PositiveIntegerField(default=0)
    tokens_by_model = models.JSONField(
        default=dict,
        blank=True,
        help_text="Billed tokens per model (or 'local'): each at its own rate. Gemini's count only when its text was kept.",
    )
    usage_by_model = models.JSONField(
        default=dict, blank=True, help_text="Tokens Gemini reported per model: {'input': …, 'output': …}, every call."
    )
    finish_reasons = models.JSONField(
        default=dict, blank=True, help_text="Gemini answers by finish reason (STOP, MAX_TOKENS, RECITATION, SAFETY …)."
    )
    written_by = models.CharField(max_length=8, choices=WrittenBy.choices, blank=True, db_index=True)
    sentences_by_engine = models.JSONField(
        default=dict, blank=True, help_text="Sentences written per engine: {'gemini': n, 'local': m}."
    )
    sentences = models.JSONField(default=list, blank=True)
    chapters = models.JSONField(
        default=list, blank=True, help_text="Headings among this chunk's sentences: {title, start} (index in them)."
    )
    sources = models.JSONField(
        default=list,
        blank=True,
        help_text="The source sentence each of `sentences` came from, as the engine said (empty when it cannot).",
    )
    vocabulary = models.JSONField(
        default=dict,
        blank=True,
        help_text="Lemmas of the sentences this chunk owns (jobs.pipeline.vocabulary.chunk_vocabulary).",
    )
    error_code = models.CharField(max_length=40, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds spent per step (pdf, cleaning, engine).")

    class Meta:
        ordering = ["job", "index"]
        constraints = [
            *quality_constraints("chunk"),
            models.UniqueConstraint(name="chunk_unique_index", fields=["job", "index"]),
            models.CheckConstraint(name="chunk_pages_ordered", condition=Q(first_page__lte=models.F("last_page"))),
            models.CheckConstraint(
                name="chunk_running_has_lease",
                condition=~Q(status="running") | Q(lease_expires_at__isnull=False, claim_token__isnull=False),
            ),
            models.CheckConstraint(
                name="chunk_slot_only_while_running", condition=Q(call_slot_since__isnull=True) | Q(status="running")
            ),
        ]
        indexes = [models.Index(fields=["status", "lease_expires_at"])]

    def __str__(self) -> str:
        return f"Chunk {self.index} of job {self.job_id} (pages {self.first_page}-{self.last_page}, {self.status})"

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class PageText(models.Model):
    """The raw text of one page as pypdf gave it, kept while the upload is kept.

    Neighbouring chunks read each other's edge pages (the overlap and the
    running-header window, about six pages a chunk); whoever reads a page
    first keeps it here, so pypdf, the costliest step after the engine,
    parses each page of a book about once (docs/benchmarks.md)."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="page_texts")
    number = models.PositiveIntegerField()
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["job", "number"]
        constraints = [
            models.UniqueConstraint(name="page_text_unique_number", fields=["job", "number"]),
            models.CheckConstraint(name="page_text_number_positive", condition=Q(number__gte=1)),
        ]

    def __str__(self) -> str:
        return f"Page {self.number} of job {self.job_id}"
