from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from credits.services import credits_current


class Command(BaseCommand):
    help = "Create (or reset the password of) a demo user and credit this month's grant."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default="demo-password")
        parser.add_argument("--superuser", action="store_true", help="Also give access to the admin.")

    def handle(self, *args, username, password, superuser, **options):
        user, created = get_user_model().objects.get_or_create(username=username)
        user.set_password(password)
        if superuser:
            user.is_staff = user.is_superuser = True
        user.save()
        balance = credits_current(user=user).balance  # credits this month's grant
        self.stdout.write(f"{'Created' if created else 'Updated'} user {username!r}; balance {balance} credits.")
