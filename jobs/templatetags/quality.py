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


@register.simple_tag
def quality_line(quality: Mapping) -> str:
    parts = [f"{quality['sentences_over_limit']:,} of {quality['sentences']:,} sentences over the limit"]
    share = quality["pieces_without_verb_share"]
    if share is None:
        parts.append("no cut pieces")
    else:
        sampled = (
            f" (a sample of {quality['pieces_checked']:,} checked)"
            if quality["pieces_checked"] < quality["pieces"]
            else ""
        )
        parts.append(
            f"{math.floor(share * 1000 + 0.5) / 10:.1f} % of {quality['pieces']:,} cut pieces without a finite verb{sampled}"
        )
    if quality["words_per_second"] is not None:
        parts.append(f"{math.floor(quality['words_per_second'] + 0.5):,} words/s")
    return " · ".join(parts)
