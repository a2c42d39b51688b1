"""What every page's template may show."""

from __future__ import annotations

from django.http import HttpRequest

from jobs.models import Job


def processing_bounds(request: HttpRequest) -> dict:
    """The processing settings' ranges and defaults (`Job.SENTENCE_LIMIT`,
    `Job.MIN_LENGTH`): the upload page's fields, their help and its script
    (which reads the fields' min and max) follow them."""
    return {"sentence_limit": Job.SENTENCE_LIMIT, "min_length": Job.MIN_LENGTH}
