"""jobs.tasks: queue adapters that take ids."""

import os
import pydoc
import subprocess
import sys


def test_queueing_a_chunk_from_a_web_process_loads_no_engine():
    # The task is queued by name: a web process starting a job must not pay
    # for importing the pipeline (google-genai, spaCy) inside the request.
    code = (
        "import sys, django; django.setup(); from unittest import mock; import novelproc.urls; from jobs import services\n"
        "with mock.patch('jobs.services.async_task') as queue: services._enqueue_chunk(7)\n"
        "print(queue.call_args.args, [m for m in ('jobs.processing', 'jobs.tasks', 'google.genai', 'spacy') if m in sys.modules])"
    )
    env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "novelproc.settings"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "('jobs.tasks.process_chunk', 7) []"
    from jobs.tasks import process_chunk

    assert pydoc.locate("jobs.tasks.process_chunk") is process_chunk
