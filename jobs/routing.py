from django.urls import re_path

from jobs.consumers import JobProgressConsumer

websocket_urlpatterns = [
    re_path(r"^ws/jobs/(?P<job_id>\d+)/?$", JobProgressConsumer.as_asgi()),
]
