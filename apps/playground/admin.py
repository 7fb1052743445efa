from django.contrib import admin

from .models import BacktestRun


@admin.register(BacktestRun)
class BacktestRunAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "source", "status", "progress", "created_at", "finished_at")
    list_filter = ("status", "source")
    search_fields = ("user__email",)
    exclude = ("upload",)
    readonly_fields = ("status", "progress", "result", "error", "created_at", "started_at", "finished_at")
