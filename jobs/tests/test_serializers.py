"""Output serializers: the shapes the API answers with and the schema documents."""

from __future__ import annotations

import dataclasses

import pytest

from jobs.pipeline.figures import QualityFigures
from jobs.serializers import ChunkSerializer, JobQualitySerializer

pytestmark = pytest.mark.first_pass


def test_the_quality_object_shows_every_figure_and_its_shares():
    figures = QualityFigures(
        sentences=10,
        sentences_over_limit=1,
        lines_judged=10,
        complete_lines=9,
        source_sentences=5,
        complete_source_sentences=5,
        source_content=20,
        kept_content=19,
        output_content=20,
        invented_content=1,
        words=40,
        engine_seconds=2,
    )

    shown = JobQualitySerializer(figures).data

    counts = {field.name for field in dataclasses.fields(QualityFigures)} - {"engine_seconds"}
    shares = {"complete_share", "source_complete_share", "content_coverage", "invented_share"}
    assert set(shown) == counts | shares | {"over_limit_share", "words_per_second"}
    assert (shown["over_limit_share"], shown["complete_share"], shown["words_per_second"]) == (0.1, 0.9, 20.0)
    assert (shown["source_complete_share"], shown["content_coverage"], shown["invented_share"]) == (1.0, 0.95, 0.05)
    assert set(QualityFigures.COUNTED) <= set(ChunkSerializer.Meta.fields)
