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

import gc
import logging
import os
import signal
import threading

from django.conf import settings
from django.db import close_old_connections, connection
from django_q import cluster
from django_q.management.commands import qcluster as qcluster_command
from django_q.management.commands.qcluster import Command as ClusterCommand
from django_q.signals import post_spawn

from jobs.processing import warm_up

logger = logging.getLogger(__name__)


class Sentinel(cluster.Sentinel):
    def start(self):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # after django-q2 set it back to the default
        super().start()


class Cluster(cluster.Cluster):
    """django-q2's cluster, plus a sweeper thread in this main process."""

    def start(self) -> int:
        pid = super().start()  # the sentinel is forked first: no thread of ours crosses a fork
        threading.Thread(target=sweep_every, args=(settings.SWEEP_SECONDS, self), name="sweeper", daemon=True).start()
        return pid


def sweep_every(seconds: float, owner: cluster.Cluster) -> None:
    """The sweep (jobs.services.sweep_stale_work) every few seconds: django-q2
    schedules count in minutes, and a chunk whose worker died should go to
    another within seconds of its short lease ending. Every cluster sweeps;
    each repair is a conditional update, so sweeps running at once do no harm."""
    from jobs.services import sweep_stale_work

    stopped = owner.stop_event if getattr(owner, "stop_event", None) is not None else threading.Event()
    while not stopped.wait(seconds):
        try:
            close_old_connections()  # a dead connection (PostgreSQL restarted) is replaced here
            sweep_stale_work()
        except Exception:  # a database or broker outage: the next sweep tries again
            logger.warning("Sweep failed; next in %.0fs", seconds, exc_info=True)
            connection.close()


def load_before_fork() -> None:
    """What every worker needs, loaded once here (see the module's docstring),
    then frozen out of the garbage collector: those objects (spaCy's model,
    its lemmatizer's tables, the lexicon) live as long as the process, and a
    collection that walked them would write to every page that holds one,
    so each forked worker would end up with a private copy of pages it
    could share. Measured with `bench/book_latency.py` and a worker holding
    a hundred Gemini calls: its private memory 313-317 MB without, 206-209
    MB with (docs/benchmarks.md)."""
    warm_up()
    gc.freeze()


def worker_takes_sigterm(**kwargs) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # sent in each worker as it starts


def worker_yields_the_cores(**kwargs) -> None:
    """Each worker, as it starts, lowers its priority to WORKER_NICE (never
    raises it: a cluster started under `nice` keeps its own) and, with
    WORKER_SCHED_IDLE, enters the idle scheduling class; the PDF readers it
    starts inherit both. Only the workers: the main process's sweeper and the
    sentinel are light, and a chunk whose worker died should not wait behind
    the others' rewrites to be handed out."""
    current = os.getpriority(os.PRIO_PROCESS, 0)
    os.setpriority(os.PRIO_PROCESS, 0, max(current, settings.WORKER_NICE))
    if settings.WORKER_SCHED_IDLE:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


class Command(ClusterCommand):
    def handle(self, *args, **options):
        load_before_fork()
        cluster.Sentinel = Sentinel  # what `Cluster.start` runs in its sentinel process
        qcluster_command.Cluster = Cluster  # what django-q2's command starts
        post_spawn.connect(worker_takes_sigterm, dispatch_uid="novelproc-worker-sigterm")
        post_spawn.connect(worker_yields_the_cores, dispatch_uid="novelproc-worker-nice")
        super().handle(*args, **options)
