"""The Prometheus metrics of the whole service, computed at scrape time.

Every figure is read from where the work is recorded (the database, the
broker, django-q2's cluster stats in the shared cache), not kept in the
memory of one process: any web process, behind any load balancer, answers
the same. Each family is one function below marked `@family`; adding one
is a selector and a few lines here.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.http import HttpRequest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector, CollectorRegistry

from credits import selectors as credit_selectors
from jobs import selectors as job_selectors

logger = logging.getLogger(__name__)

PREFIX = "novelproc"
# Seconds: from a few pages read or cleaned to a slow Gemini call.
STAGE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

Family = Callable[[], Iterable[Metric]]
FAMILIES: list[Family] = []


def family(function: Family) -> Family:
    FAMILIES.append(function)
    return function


@family
def jobs_by_status_and_engine() -> Iterator[Metric]:
    metric = GaugeMetricFamily(f"{PREFIX}_jobs", "Jobs by status and engine.", labels=["status", "engine"])
    for row in job_selectors.job_counts():
        metric.add_metric([row["status"], row["engine"]], row["jobs"])
    yield metric


@family
def chunks_by_status() -> Iterator[Metric]:
    metric = GaugeMetricFamily(f"{PREFIX}_chunks", "Chunks by status.", labels=["status"])
    for status, count in sorted(job_selectors.chunk_counts().items()):
        metric.add_metric([status], count)
    yield metric


@family
def chunk_stage_seconds() -> Iterator[Metric]:
    metric = HistogramMetricFamily(
        f"{PREFIX}_chunk_stage_seconds",
        "Seconds a recorded chunk spent in each stage (pdf, cleaning, slot_wait, engine).",
        labels=["stage"],
    )
    for stage, histogram in job_selectors.chunk_stage_histograms(bounds=STAGE_BUCKETS).items():
        buckets = [(f"{bound:g}", count) for bound, count in zip(histogram.bounds, histogram.cumulative, strict=True)]
        metric.add_metric([stage], [*buckets, ("+Inf", histogram.count)], sum_value=histogram.total_seconds)
    yield metric


@family
def usage_by_model() -> Iterator[Metric]:
    """Gemini calls by the model the job asked for (a fallback model's calls
    count there), and tokens by engine, model and direction."""
    calls = CounterMetricFamily(f"{PREFIX}_gemini_calls", "Gemini API calls, by the job's model.", labels=["model"])
    tokens = CounterMetricFamily(
        f"{PREFIX}_tokens", "Tokens used, by engine, model and direction.", labels=["engine", "model", "direction"]
    )
    for row in job_selectors.usage_by_model():
        if row["engine"] == "gemini":
            calls.add_metric([row["model_name"]], row["calls"] or 0)
        for direction in ("input", "output"):
            tokens.add_metric([row["engine"], row["model_name"], direction], row[f"{direction}_tokens"] or 0)
    yield calls
    yield tokens


@family
def failed_chunks() -> Iterator[Metric]:
    metric = GaugeMetricFamily(
        f"{PREFIX}_failed_chunks",
        "Chunks failed now, by engine, model and error code (Gemini errors are those of engine gemini).",
        labels=["engine", "model", "error_code"],
    )
    for row in job_selectors.failed_chunks_by_model():
        metric.add_metric([row["job__engine"], row["job__model_name"], row["error_code"]], row["chunks"])
    yield metric


@family
def credits_by_kind() -> Iterator[Metric]:
    metric = CounterMetricFamily(
        f"{PREFIX}_credits", "Credits moved, by ledger kind (reserve, charge, release, ...).", labels=["kind"]
    )
    for kind, total in sorted(credit_selectors.ledger_totals_by_kind().items()):
        metric.add_metric([kind], total)
    yield metric


@family
def queue_and_workers() -> Iterator[Metric]:
    from django_q.brokers import get_broker
    from django_q.status import Stat

    yield GaugeMetricFamily(f"{PREFIX}_queue_tasks", "Tasks waiting in the broker.", value=get_broker().queue_size())
    stats = Stat.get_all()
    yield GaugeMetricFamily(f"{PREFIX}_clusters", "Worker clusters reporting.", value=len(stats))
    yield GaugeMetricFamily(
        f"{PREFIX}_workers", "Worker processes of the clusters reporting.", value=sum(len(s.workers) for s in stats)
    )


class ServiceCollector(Collector):
    """Every family; one that fails (the broker is down) is left out and
    counted in novelproc_metrics_family_errors, so the rest still reach Prometheus."""

    def collect(self) -> Iterator[Metric]:
        errors = GaugeMetricFamily(
            f"{PREFIX}_metrics_family_errors", "Families that could not be read at this scrape.", labels=["family"]
        )
        for read in FAMILIES:
            try:
                metrics = list(read())
            except Exception:  # one family down must not hide the others
                logger.exception("Metrics family %s failed", read.__name__)
                errors.add_metric([read.__name__], 1)
                continue
            yield from metrics
        yield errors


def exposition(accept: str) -> tuple[bytes, str]:
    """The metrics in the format the scraper asked for (Prometheus text, or OpenMetrics)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ServiceCollector())
    encode, content_type = choose_encoder(accept)
    return encode(registry), content_type


def may_scrape(request: HttpRequest) -> bool:
    """Staff (a session), or the bearer of METRICS_TOKEN when one is set."""
    if request.user.is_authenticated and request.user.is_staff:
        return True
    token = settings.METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
