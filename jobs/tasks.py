"""Queue adapters: tasks take ids, call services, own their failure policy."""

from __future__ import annotations

import logging
from dataclasses import asdict

from jobs import services
from jobs.pipeline.gemini_calls import GeminiChunkFailed
from jobs.pipeline.pdf import PdfRejected
from jobs.processing import ChunkAbandoned, run_chunk

logger = logging.getLogger(__name__)


def process_chunk(chunk_id: int) -> str:
    claimed = services.chunk_claim(chunk_id=chunk_id)
    if claimed is None:
        return "skipped: not claimable (done, leased elsewhere or job inactive)"
    try:
        outcome = run_chunk(claimed)
    except ChunkAbandoned:
        services.chunk_abandon(chunk_id=chunk_id, token=claimed.token)
        return "abandoned: job cancelled or chunk taken over"
    except GeminiChunkFailed as exc:
        services.chunk_fail(
            chunk_id=chunk_id,
            token=claimed.token,
            error_code=exc.code,
            message=exc.message,
            api_calls=exc.api_calls,
            input_tokens=exc.input_tokens,
            output_tokens=exc.output_tokens,
        )
        return f"failed: {exc.code}"
    except PdfRejected as exc:
        services.chunk_fail(chunk_id=chunk_id, token=claimed.token, error_code=exc.code, message=exc.message)
        return f"failed: {exc.code}"
    except Exception as exc:  # a chunk's failure must not stop the job: record it and go on
        logger.exception("Chunk %s failed", chunk_id)
        services.chunk_fail(
            chunk_id=chunk_id, token=claimed.token, error_code="ENGINE_ERROR", message=f"{type(exc).__name__}: {exc}"
        )
        return "failed: ENGINE_ERROR"
    recorded = services.chunk_record(chunk_id=chunk_id, token=claimed.token, outcome=outcome)
    return "recorded" if recorded else "dropped: job cancelled or chunk taken over"


def sweep() -> dict:
    return asdict(services.sweep_stale_work())
