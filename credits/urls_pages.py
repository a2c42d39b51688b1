from django.urls import path

from credits import views

urlpatterns = [
    path("credits/", views.credits_page, name="credits"),
]
