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

JOB_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "job.js"

SAMPLED = {
    "sentences": 900,
    "sentences_over_limit": 0,
    "pieces": 900,
    "pieces_checked": 40,
    "pieces_without_verb": 6,
    "pieces_without_verb_share": 0.15,
    "words_per_second": None,
}
CASES = [
    SAMPLED,
    {**SAMPLED, "pieces_checked": 900, "pieces_without_verb_share": 0.4665, "words_per_second": 7283.5},
    {**SAMPLED, "sentences": 12, "sentences_over_limit": 1, "pieces_without_verb_share": None, "words_per_second": 0.4},
    {**SAMPLED, "sentences": 1234567, "pieces": 1000, "pieces_checked": 1000, "pieces_without_verb_share": 0.00049},
]


def test_the_quality_line_says_when_the_verb_share_comes_from_a_sample():
    assert (
        quality_line(SAMPLED)
        == "0 of 900 sentences over the limit · 15.0 % of 900 cut pieces without a finite verb (a sample of 40 checked)"
    )


@pytest.mark.skipif(shutil.which("node") is None, reason="no `node` binary to run the page's script")
def test_the_page_script_writes_the_same_line_as_the_tag():
    script = JOB_JS.read_text(encoding="utf-8")
    function = re.search(r"^  function qualityLine\(q\) \{\n.*?^  \}\n", script, re.S | re.M).group(0)
    program = f"{function}\nconsole.log(JSON.stringify({json.dumps(CASES)}.map(qualityLine)));"

    written = subprocess.run(["node", "-e", program], capture_output=True, text=True, check=True, timeout=30)

    assert json.loads(written.stdout) == [quality_line(case) for case in CASES]
