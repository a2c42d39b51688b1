"""Output serializers: the shapes the API answers with and the schema documents."""

from __future__ import annotations

import dataclasses

from jobs.pipeline.figures import QualityFigures
from jobs.serializers import ChunkSerializer, JobQualitySerializer


def test_the_quality_object_shows_every_figure_and_its_shares():
    figures = QualityFigures(
        sentences=10,
        sentences_over_limit=1,
        pieces=4,
        pieces_checked=2,
        pieces_without_verb=1,
        words=40,
        engine_seconds=2,
    )

    shown = JobQualitySerializer(figures).data

    counts = {field.name for field in dataclasses.fields(QualityFigures)} - {"engine_seconds"}
    assert set(shown) == counts | {"over_limit_share", "pieces_without_verb_share", "words_per_second"}
    assert (shown["over_limit_share"], shown["pieces_without_verb_share"], shown["words_per_second"]) == (
        0.1,
        0.5,
        20.0,
    )
    assert set(QualityFigures.COUNTED) <= set(ChunkSerializer.Meta.fields)
