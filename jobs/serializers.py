from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jobs.models import DEFAULT_SETTINGS, Chunk, Job, ModelPreference
from jobs.pipeline.figures import QualityFigures
from jobs.selectors import TASK_STATES, failed_chunk_indexes, job_quality, queue_position
from jobs.types import Bounds, ProcessingSettings


def bounded(bounds: Bounds) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=bounds.low, max_value=bounds.high, default=bounds.default)


class ProcessingSettingsSerializer(serializers.Serializer):
    sentence_length_limit = bounded(Job.SENTENCE_LIMIT)
    min_sentence_length = bounded(Job.MIN_LENGTH)
    ignore_dialogue = serializers.BooleanField(default=DEFAULT_SETTINGS.ignore_dialogue)
    preserve_formatting = serializers.BooleanField(default=DEFAULT_SETTINGS.preserve_formatting)
    fix_hyphenation = serializers.BooleanField(default=DEFAULT_SETTINGS.fix_hyphenation)

    def to_settings(self) -> ProcessingSettings:
        return ProcessingSettings(**self.validated_data)


class PdfUploadSerializer(serializers.Serializer):
    pdf_file = serializers.FileField(allow_empty_file=True)
    model_preference = serializers.ChoiceField(choices=ModelPreference.choices, default=ModelPreference.BALANCED)


class ConfirmSerializer(serializers.Serializer):
    original_filename = serializers.CharField(max_length=255)
    page_count = serializers.IntegerField(min_value=1)
    model_preference = serializers.ChoiceField(choices=ModelPreference.choices, default=ModelPreference.BALANCED)
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


class JobSerializer(serializers.ModelSerializer):
    job_id = serializers.IntegerField(source="id", read_only=True)
    user_id = serializers.IntegerField(source="owner_id", read_only=True)
    model = serializers.CharField(source="model_name", read_only=True)
    failed_chunks = serializers.SerializerMethodField()
    task_state = serializers.SerializerMethodField()
    queue_position = serializers.SerializerMethodField()
    gemini_tokens_used = serializers.IntegerField(source="total_tokens", read_only=True)
    celery_task_id = serializers.CharField(source="task_id", read_only=True)
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
            "processing_settings",
            "estimated_credits",
            "actual_credits",
            "credit_rate",
            "pricing_version",
            "progress_percent",
            "current_step",
            "total_chunks",
            "processed_chunks",
            "failed_chunks",
            "parallel",
            "chunk_size",
            "strategy",
            "task_id",
            "celery_task_id",
            "task_state",
            "queue_position",
            "input_tokens",
            "output_tokens",
            "total_tokens",
            "gemini_tokens_used",
            "gemini_api_calls",
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

    def get_failed_chunks(self, job: Job) -> list[int]:
        return failed_chunk_indexes(job=job) if job.failed_chunk_count else []

    def get_task_state(self, job: Job) -> dict:
        return {
            "state": TASK_STATES[job.status],
            "info": {"processed_chunks": job.processed_chunks, "total_chunks": job.total_chunks},
        }

    def get_queue_position(self, job: Job) -> int | None:
        return queue_position(job=job)

    def get_processing_settings(self, job: Job) -> dict:
        return ProcessingSettings.from_job(job).as_fields()

    def get_sentence_count(self, job: Job) -> int | None:
        return len(job.sentences) if job.is_terminal and "sentences" not in job.get_deferred_fields() else None


class JobQualitySerializer(serializers.Serializer):
    """The engine's quality figures (SPEC §8) over the job's output so far
    (a QualityFigures): the API's `quality` object and the socket's."""

    sentences = serializers.IntegerField(help_text="Output sentences so far (the result's, once finished).")
    sentences_over_limit = serializers.IntegerField(
        help_text="Output sentences with more words than the limit (measured)."
    )
    over_limit_share = serializers.FloatField(help_text="sentences_over_limit / sentences; 0 when there are none.")
    pieces = serializers.IntegerField(
        help_text="Output sentences cut from longer source sentences (every sentence, on Gemini)."
    )
    pieces_checked = serializers.IntegerField(
        help_text="Pieces checked for a finite verb: all of them on the local engine, a sample on Gemini."
    )
    pieces_without_verb = serializers.IntegerField(help_text="Of the pieces checked, how many have no finite verb.")
    pieces_without_verb_share = serializers.FloatField(
        allow_null=True, help_text="pieces_without_verb / pieces_checked; null when none was checked."
    )
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
            *QualityFigures.COUNTED,
            "error_code",
            "error",
            "started_at",
            "finished_at",
            "timings",
        ]
