from django.urls import re_path

from jobs.consumers import JobProgressConsumer
from jobs.sockets import SOCKET_ROUTE

websocket_urlpatterns = [
    re_path(SOCKET_ROUTE, JobProgressConsumer.as_asgi()),
]
