"""The jobs admin (jobs.admin): jobs read-only, with their quality figures;
the task queue pages."""

from __future__ import annotations

from jobs.tests.factories import make_completed_job


def test_admin_shows_a_jobs_quality_figures_read_only(admin_client, user):
    job = make_completed_job(user)

    body = admin_client.get(f"/admin/jobs/job/{job.pk}/change/").content.decode()

    assert "0 of 4 sentences over the limit<" in body
    assert 'name="complete_lines"' not in body and "Complete lines" in body


def test_admin_index_links_the_task_queue_pages(admin_client):
    body = admin_client.get("/admin/").content.decode()

    for model in ["success", "failure", "schedule"]:
        assert f'href="/admin/django_q/{model}/"' in body
    assert admin_client.get("/admin/django_q/success/").status_code == 200
    assert admin_client.get("/admin/django_q/failure/").status_code == 200


def test_an_operator_lists_chunks_and_jobs_by_finish_reason(admin_client, user):
    from jobs.models import Chunk
    from jobs.tests.factories import make_chunk, make_job

    refused, clean = make_job(user, chunks=1), make_job(user, chunks=1)
    make_chunk(refused, 0, "succeeded", finish_reasons={"RECITATION": 2}, written_by="local")
    make_chunk(clean, 0, "succeeded", finish_reasons={"STOP": 1}, written_by="gemini")

    chunks = admin_client.get("/admin/jobs/chunk/?finish_reason=RECITATION")
    assert list(chunks.context["cl"].queryset) == list(Chunk.objects.filter(job=refused))
    jobs = admin_client.get("/admin/jobs/job/?finish_reason=RECITATION")
    assert list(jobs.context["cl"].queryset) == [refused]
    assert list(admin_client.get("/admin/jobs/job/?written_by=gemini").context["cl"].queryset) == [clean]
    assert admin_client.get("/admin/jobs/job/?finish_reason=STOP").context["cl"].queryset.count() == 1
