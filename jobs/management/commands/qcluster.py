"""django-q2's `qcluster`, with the engines loaded before the workers fork,
and a stop that works when the whole process group gets SIGTERM.

The cluster forks its worker processes from this one (and forks them again
when it recycles one). What is loaded here first (spaCy's French model, the
lexicon, the Gemini client library) is then shared copy-on-write by every
worker instead of being loaded by each on its first chunk, which costs
seconds of CPU per worker inside a job's time.

Stopping: django-q2's main process stops the cluster on SIGTERM or SIGINT by
telling its sentinel process, which stops the workers. Its sentinel ignores
SIGINT but dies on SIGTERM, so a SIGTERM sent to the whole group (systemd's
default KillMode, supervisor's stopasgroup, `kill -- -PGID`, a test harness)
kills the sentinel under the main process, which then waits for it forever
("stopping." and nothing more). Here the sentinel, and the pusher and
monitor it forks, ignore SIGTERM as they ignore SIGINT: only the main
process acts on it, and the stop is the same orderly one as Ctrl-C. Workers
keep the default, because SIGTERM is how the sentinel stops a worker stuck
past its task timeout.
"""

import signal

from django_q import cluster
from django_q.management.commands.qcluster import Command as ClusterCommand
from django_q.signals import post_spawn

from jobs.processing import warm_up


class Sentinel(cluster.Sentinel):
    def start(self):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # after django-q2 set it back to the default
        super().start()


def worker_takes_sigterm(**kwargs) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # sent in each worker as it starts


class Command(ClusterCommand):
    def handle(self, *args, **options):
        warm_up()
        cluster.Sentinel = Sentinel  # what `Cluster.start` runs in its sentinel process
        post_spawn.connect(worker_takes_sigterm, dispatch_uid="novelproc-worker-sigterm")
        super().handle(*args, **options)
