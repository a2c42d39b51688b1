from django.apps import AppConfig
from django.db.models.signals import post_migrate

SWEEP_SCHEDULE_NAME = "novelproc-sweep"


def ensure_sweep_schedule(**kwargs) -> None:
    """The sweep that finds lost work runs on django-q2's scheduler; its
    schedule is created (or its interval updated) by every migrate."""
    from django.conf import settings
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=SWEEP_SCHEDULE_NAME,
        defaults={
            "func": "jobs.tasks.sweep",
            "schedule_type": Schedule.MINUTES,
            "minutes": settings.SWEEP_MINUTES,
            "repeats": -1,
        },
    )


class JobsConfig(AppConfig):
    name = "jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(ensure_sweep_schedule, sender=self)
