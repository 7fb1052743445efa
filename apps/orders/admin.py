from django.contrib import admin
from django.http import HttpRequest

from .models import OrderEvent, OrderIntent


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    readonly_fields = ("at", "kind", "status", "attempt", "detail")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OrderIntent)
class OrderIntentAdmin(admin.ModelAdmin):
    list_display = ("id", "tag", "strategy", "user", "trading_day", "leg", "side", "reason", "status", "attempts", "created_at")
    list_filter = ("status", "leg", "reason", "trading_day")
    search_fields = ("=id", "broker_order_id", "symbol", "user__email")
    inlines = [OrderEventInline]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [f.name for f in OrderIntent._meta.fields]  # the ledger is changed by the engine only

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
