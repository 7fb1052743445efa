from django.core.management.base import BaseCommand
from django.db import transaction

from apps.accounts.models import Role, User
from apps.broker_accounts.models import BrokerAccount
from apps.broker_accounts.services import broker_account_connect

DEMO = (
    ("admin@demo.local", "Demo-Admin-2026!", Role.ADMIN, ""),
    ("trader@demo.local", "Demo-Trader-2026!", Role.USER, ""),
    ("broker@demo.local", "Demo-Broker-2026!", Role.BROKER, "paper"),
)


class Command(BaseCommand):
    help = "Create the demo logins (admin, trader, broker staff) and the trader's paper account. Idempotent."

    def handle(self, *args: object, **options: object) -> None:
        with transaction.atomic():
            for email, password, role, broker in DEMO:
                user = User.objects.filter(email=email).first()
                if user is None:
                    user = User.objects.create_user(
                        email=email,
                        password=password,
                        role=role,
                        broker=broker,
                        is_staff=role == Role.ADMIN,
                        is_superuser=role == Role.ADMIN,
                    )
                if role == Role.USER and not BrokerAccount.objects.filter(user=user, broker="paper").exists():
                    broker_account_connect(user=user, broker="paper", credentials={}, label="Paper")
        self.stdout.write("Demo logins (web: http://127.0.0.1:8000/api/docs/, Django Admin: /admin/):")
        for email, password, role, _ in DEMO:
            self.stdout.write(f"  {role:<7} {email:<20} {password}")
