"""The quality_line template tag: the job's quality figures in one line, and
the job page's script, which writes the same line when the figures change."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from jobs.templatetags.quality import quality_line

pytestmark = pytest.mark.first_pass

JOB_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "job.js"

JUDGED = {
    "sentences": 900,
    "sentences_over_limit": 0,
    "lines_judged": 900,
    "complete_share": 0.8765,
    "source_complete_share": 0.9349,
    "content_coverage": 0.98765,
    "invented_share": 0.0015,
    "words_per_second": None,
}
CASES = [
    JUDGED,
    {**JUDGED, "words_per_second": 7283.5, "source_complete_share": None},
    {**JUDGED, "sentences": 12, "sentences_over_limit": 1, "complete_share": None, "words_per_second": 0.4},
    {**JUDGED, "sentences": 1234567, "lines_judged": 1234567, "invented_share": None, "content_coverage": 0.00049},
]


def test_the_quality_line_gives_the_judges_shares_beside_the_books_own():
    assert quality_line(JUDGED) == (
        "87.7 % of 900 lines read as sentences (the book's own: 93.5 %) · 98.8 % of the content kept · "
        "0.2 % invented · 0 of 900 sentences over the limit"
    )


@pytest.mark.skipif(shutil.which("node") is None, reason="no `node` binary to run the page's script")
def test_the_page_script_writes_the_same_line_as_the_tag():
    script = JOB_JS.read_text(encoding="utf-8")
    function = re.search(r"^  function qualityLine\(q\) \{\n.*?^  \}\n", script, re.S | re.M).group(0)
    program = f"{function}\nconsole.log(JSON.stringify({json.dumps(CASES)}.map(qualityLine)));"

    written = subprocess.run(["node", "-e", program], capture_output=True, text=True, check=True, timeout=30)

    assert json.loads(written.stdout) == [quality_line(case) for case in CASES]
