"""The job's quality figures in one line, for the job page and the admin.

static/js/job.js writes the same line from the same payload (the API's and
the socket's `quality` object, JobQualitySerializer) when the figures change
live; both round half up (floor(x + 0.5)), so that a tie never reads
differently before and after a live update."""

from __future__ import annotations

import math
from collections.abc import Mapping

from django import template

register = template.Library()


def percent(share: float) -> str:
    return f"{math.floor(share * 1000 + 0.5) / 10:.1f} %"


@register.simple_tag
def quality_line(quality: Mapping) -> str:
    parts = []
    if quality["complete_share"] is not None:
        parts.append(f"{percent(quality['complete_share'])} of {quality['lines_judged']:,} lines read as sentences")
        if quality["source_complete_share"] is not None:
            parts[-1] += f" (the book's own: {percent(quality['source_complete_share'])})"
    if quality["content_coverage"] is not None:
        parts.append(f"{percent(quality['content_coverage'])} of the content kept")
    if quality["invented_share"] is not None:
        parts.append(f"{percent(quality['invented_share'])} invented")
    parts.append(f"{quality['sentences_over_limit']:,} of {quality['sentences']:,} sentences over the limit")
    if quality["words_per_second"] is not None:
        parts.append(f"{math.floor(quality['words_per_second'] + 0.5):,} words/s")
    return " · ".join(parts)
