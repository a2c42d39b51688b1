"""The jobs admin (jobs.admin): jobs read-only, with their quality figures;
the task queue pages."""

from __future__ import annotations

from jobs.tests.factories import make_completed_job


def test_admin_shows_a_jobs_quality_figures_read_only(admin_client, user):
    job = make_completed_job(user)

    body = admin_client.get(f"/admin/jobs/job/{job.pk}/change/").content.decode()

    assert "0 of 4 sentences over the limit · no cut pieces<" in body
    assert 'name="pieces"' not in body and "Pieces without verb" in body


def test_admin_index_links_the_task_queue_pages(admin_client):
    body = admin_client.get("/admin/").content.decode()

    for model in ["success", "failure", "schedule"]:
        assert f'href="/admin/django_q/{model}/"' in body
    assert admin_client.get("/admin/django_q/success/").status_code == 200
    assert admin_client.get("/admin/django_q/failure/").status_code == 200
