from django.contrib import admin
from django.http import HttpRequest

from .models import BrokerAccount


@admin.register(BrokerAccount)
class BrokerAccountAdmin(admin.ModelAdmin):
    list_display = ("id", "label", "broker", "user", "status", "token_valid_until", "created_at")
    list_filter = ("broker", "status")
    search_fields = ("label", "user__email")
    # Credentials are never shown or edited here: only which fields are stored.
    exclude = ("credentials",)
    # Set by the login flow, never by hand: the broker user id guards every later login.
    readonly_fields = ("stored_credentials", "broker_user_id", "login_notified_at", "created_at", "updated_at")

    @admin.display(description="Credentials")
    def stored_credentials(self, obj: BrokerAccount) -> str:
        if not obj.credentials:
            return "(none)"
        return ", ".join(f"{name}: ••••••" for name in sorted(obj.credentials))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # accounts are connected through the API, which validates with the broker
