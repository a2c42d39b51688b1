"""Queue adapters: tasks take ids, call services, own their failure policy."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connections

from jobs import services
from jobs.pipeline.gemini_calls import GeminiChunkFailed
from jobs.pipeline.pdf import PdfRejected
from jobs.processing import ChunkAbandoned, run_chunk
from novelproc.errors import REDIS_DOWN

logger = logging.getLogger(__name__)
T = TypeVar("T")


# A database restarting or failing over, or Redis dropping out, is not the
# chunk's fault: the step is tried again on a fresh connection for a few
# seconds (a `pg_ctl restart -m fast` takes one or two), then the chunk is
# given back to the queue, never failed.
TRANSIENT = (OperationalError, InterfaceError, *REDIS_DOWN)
TRANSIENT_WAITS = (0.2, 0.5, 1.0, 2.0, 4.0)


def transient_retry(step: Callable[[], T]) -> T:
    for wait in TRANSIENT_WAITS:
        try:
            return step()
        except TRANSIENT as exc:
            logger.warning("Transient error (%s); trying again in %.1fs", exc, wait)
            connections.close_all()  # the next query opens a fresh connection
            time.sleep(wait)
    return step()


def process_chunk(chunk_id: int) -> str:
    claimed = transient_retry(lambda: services.chunk_claim(chunk_id=chunk_id))
    if claimed is None:
        return "skipped: not claimable (done, leased elsewhere or job inactive)"
    try:
        outcome = run_chunk(claimed)
    except TRANSIENT:
        logger.warning("Chunk %s hit a transient error; giving it back to the queue", chunk_id, exc_info=True)
        connections.close_all()
        transient_retry(lambda: services.chunk_release(chunk_id=chunk_id, token=claimed.token))
        return "released: transient error, queued again"
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
    recorded = transient_retry(lambda: services.chunk_record(chunk_id=chunk_id, token=claimed.token, outcome=outcome))
    return "recorded" if recorded else "dropped: job cancelled or chunk taken over"


def sweep() -> dict:
    return asdict(services.sweep_stale_work())
