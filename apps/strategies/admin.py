from django.contrib import admin

from .models import Holiday, Strategy


@admin.register(Strategy)
class StrategyAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "user", "symbol", "quantity", "buy_time", "sell_time", "stop_loss", "status")
    list_filter = ("status", "exchange", "product")
    search_fields = ("name", "symbol", "user__email")
    readonly_fields = ("entry_task", "exit_task", "created_at", "updated_at", "deleted_at")


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "exchange", "name")
    list_filter = ("exchange",)
