from django.core.management.base import BaseCommand

from apps.broker_accounts.services import broker_keys_rotate


class Command(BaseCommand):
    help = "Re-encrypt every broker credential with the active key of CREDENTIAL_KEYS."

    def handle(self, *args: object, **options: object) -> None:
        accounts, values = broker_keys_rotate()
        self.stdout.write(f"re-encrypted {values} values in {accounts} broker accounts")
