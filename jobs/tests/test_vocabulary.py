"""The vocabulary of a real book: GET jobs/{id}/vocabulary and its exports,
on the 115-page novel processed inline through the API."""

from __future__ import annotations

import csv
import functools
import io
from collections import Counter

import pytest

from conftest import shared_file
from jobs.models import Chunk, ChunkStatus, Job
from jobs.pipeline import engines, local_engine, vocabulary
from jobs.pipeline.pdf import extract_pages
from jobs.pipeline.text import chunk_source
from jobs.tests.apkg import read_apkg
from jobs.tests.books import ALBERT, albert

pytestmark = pytest.mark.django_db(transaction=True)
ALL = "NOUN,VERB,ADJ,ADV,PROPN"


@functools.cache
def pages() -> tuple[str, ...]:
    return tuple(extract_pages(shared_file(f"{ALBERT}.pdf"), 1, 115))


def direct_count(job: Job) -> Counter:
    """The lemmas of the job's source sentences, parsed in one go (no chunk, no store, no merge)."""
    texts = []
    for chunk in Chunk.objects.filter(job=job, status=ChunkStatus.SUCCEEDED).order_by("index"):
        source = chunk_source(
            lambda first, last: list(pages()[first - 1 : last]),
            first=chunk.first_page,
            last=chunk.last_page,
            page_count=job.page_count,
        )
        texts.extend(sentence.text for sentence in source.sentences)
    # The engine's own parse, as the chunk tasks count on it (one pass over the book).
    whole_book = vocabulary.chunk_vocabulary(texts, engines.parse(texts))
    return Counter({(e.lemma, e.pos): e.count for e in vocabulary.merge_vocabularies([whole_book])})


def every_lemma(api, job_id: int, **query) -> list[dict]:
    lemmas, page = [], 1
    while True:
        body = api.get(f"/api/v1/jobs/{job_id}/vocabulary", {"pos": ALL, "page": page, **query}).json()
        lemmas.extend(body["lemmas"])
        if page == body["pages"]:
            return lemmas
        page += 1


@pytest.mark.first_pass
def test_the_115_page_book_lemmas_match_a_direct_count_with_proper_names_apart(api):
    job_id, _ = albert(api)
    job = Job.objects.get(pk=job_id)
    assert job.chunks.count() > 1  # the counts are sums over chunks

    listed = every_lemma(api, job_id, sort="lemma")
    assert Counter({(e["lemma"], e["pos"]): e["count"] for e in listed}) == direct_count(job)
    assert len(listed) > 2000 and all(e["count"] >= 1 for e in listed)

    # Every form counted is a word of the source sentences the job's lines came from.
    words = Counter(t.lower_ for doc in local_engine.nlp().tokenizer.pipe(job.sources) for t in doc)
    forms = Counter()
    for entry in listed:
        forms.update({form.lower(): 1 for form in entry["forms"]})
    assert all(words[form] >= 1 for form in forms), [f for f in forms if not words[f]][:10]

    default = api.get(f"/api/v1/jobs/{job_id}/vocabulary").json()
    assert default["pos"] == ["NOUN", "VERB", "ADJ", "ADV"] and default["sort"] == "usefulness"
    assert default["total"] == sum(e["pos"] != "PROPN" for e in listed)
    assert default["proper_names"] == sum(e["pos"] == "PROPN" for e in listed) > 20
    names = {e["lemma"]: e for e in every_lemma(api, job_id, pos="PROPN")}
    assert {"Philomène", "Watteville", "Besançon", "Savarus", "Rodolphe"} <= set(names)
    content = {e["lemma"] for e in every_lemma(api, job_id, pos="NOUN,VERB,ADJ,ADV")}
    assert not {"philomène", "watteville", "besançon", "rodolphe"} & content
    assert names["Philomène"]["first_sentence"].count("Philomène") >= 1

    useful = default["lemmas"]
    assert [e["usefulness"] for e in useful] == sorted((e["usefulness"] for e in useful), reverse=True)
    assert all(e["band"] != "core" for e in useful[:50]) and useful[0]["count"] >= 5
    frequent = api.get(f"/api/v1/jobs/{job_id}/vocabulary", {"min_count": 20, "pos": "VERB", "sort": "count"}).json()
    assert frequent["lemmas"] and all(e["pos"] == "VERB" and e["count"] >= 20 for e in frequent["lemmas"])
    assert [e["count"] for e in frequent["lemmas"]] == sorted((e["count"] for e in frequent["lemmas"]), reverse=True)

    # The CSV and the word deck hold the same lemmas, in the same order.
    query = {"pos": "NOUN,ADJ", "min_count": 3}
    as_csv = api.get(f"/api/v1/jobs/{job_id}/vocabulary/export", {**query, "format": "csv"})
    assert as_csv.status_code == 200 and as_csv["Content-Disposition"].endswith('-vocabulary.csv"')
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    chosen = every_lemma(api, job_id, **query)
    assert rows[0][:3] == ["Lemma", "Part of speech", "Count"]
    assert [(r[0], r[1], int(r[2]), r[7]) for r in rows[1:]] == [
        (e["lemma"], e["pos"], e["count"], e["first_sentence"]) for e in chosen
    ]
    deck = api.get(f"/api/v1/jobs/{job_id}/vocabulary/export", {**query, "format": "apkg"})
    assert deck.status_code == 200 and deck["Content-Type"] == "application/apkg"
    notes = read_apkg(deck.content).notes
    assert [n.fields[0] for n in notes] == [e["lemma"].replace("'", "&#x27;") for e in chosen]
    assert {n.fields[2] for n in notes} == {"nom", "adjectif"} and all(n.fields[5] for n in notes)
    assert [
        n.guid for n in read_apkg(api.get(deck.request["PATH_INFO"], {**query, "format": "apkg"}).content).notes
    ] == [n.guid for n in notes]


def test_vocabulary_refuses_a_running_job_and_a_bad_query(api, user):
    from jobs.tests.factories import make_started_job

    job = make_started_job(user, chunks=1)
    assert api.get(f"/api/v1/jobs/{job.pk}/vocabulary").status_code == 425
    assert api.get(f"/api/v1/jobs/{job.pk}/vocabulary/export?format=csv").status_code == 425
    bad = api.get(f"/api/v1/jobs/{job.pk}/vocabulary", {"pos": "DET", "min_count": 0})
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"pos", "min_count"}
    assert api.get(f"/api/v1/jobs/{job.pk}/vocabulary/export?format=xlsx").status_code == 400
