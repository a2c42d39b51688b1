from django.contrib.auth import views as auth_views
from django.urls import path

from jobs import views

urlpatterns = [
    path("", views.upload, name="upload"),
    path("signup/", views.signup, name="signup"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("jobs/", views.history_page, name="history"),
    path("jobs/<int:job_id>/", views.job_detail, name="job_detail"),
    path("jobs/<int:job_id>/delete/", views.job_delete, name="job_delete"),
    path("jobs/<int:job_id>/vocabulary/", views.vocabulary_page, name="job_vocabulary"),
]
