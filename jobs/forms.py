"""Page forms. The upload settings are validated by the API's serializers; the
page only renders them."""

from __future__ import annotations

from django.contrib.auth.forms import UserCreationForm


class SignUpForm(UserCreationForm):
    """Django's own sign-up form; the username is all a learner needs."""
