"""Page text to clean lines (jobs.pipeline.cleaning): line-end hyphens,
ligatures, odd spaces."""

from __future__ import annotations

import pytest

from jobs.pipeline.cleaning import keeps_hyphen, normalise

pytestmark = pytest.mark.first_pass


@pytest.mark.parametrize(
    ("left", "right", "kept"),
    [
        ("ab", "bés", False),
        ("de", "puis", False),
        ("histo", "riques", False),
        ("très", "bien", True),
        ("grand", "père", True),
        ("soir", "là", True),
        ("peut", "être", True),
        ("dit", "il", True),
        ("a", "t-il", True),
        ("vis", "à-vis", True),
        ("Saint", "Martin", True),
        ("Amé", "dée", False),
        ("vicaire", "général", True),
    ],
)
def test_a_line_end_hyphen_is_kept_in_a_compound_and_dropped_inside_a_word(left, right, kept):
    assert keeps_hyphen(left, right) is kept


def test_normalise_fixes_ligatures_spaces_and_italic_glitches():
    assert normalise("Une ﬁne ﬂeur, eﬀet, eﬃcace\u00a0; soufﬂé\u202f! œuvre") == [
        "Une fine fleur, effet, efficace ; soufflé ! œuvre"
    ]
    assert normalise("de  rupes . Les   autres , « oui » ; A l' incroyable ...") == [
        "de rupes. Les autres, « oui » ; A l'incroyable ..."
    ]
