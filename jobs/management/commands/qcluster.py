"""django-q2's `qcluster`, with the engines loaded before the workers fork.

The cluster forks its worker processes from this one (and forks them again
when it recycles one). What is loaded here first (spaCy's French model, the
lexicon, the Gemini client library) is then shared copy-on-write by every
worker instead of being loaded by each on its first chunk, which costs
seconds of CPU per worker inside a job's time.
"""

from django_q.management.commands.qcluster import Command as ClusterCommand

from jobs.processing import warm_up


class Command(ClusterCommand):
    def handle(self, *args, **options):
        warm_up()
        super().handle(*args, **options)
