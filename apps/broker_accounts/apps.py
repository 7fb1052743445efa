from django.apps import AppConfig


class BrokerAccountsConfig(AppConfig):
    name = "apps.broker_accounts"
    label = "broker_accounts"
