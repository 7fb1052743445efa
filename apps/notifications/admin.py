from django.contrib import admin

from .models import Notification, NotificationSettings


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "kind", "title", "created_at", "read_at", "email_status", "telegram_status")
    list_filter = ("kind", "email_status", "telegram_status")
    search_fields = ("user__email", "title")
    readonly_fields = ("created_at", "email_status", "telegram_status", "delivery_error")


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "email_enabled", "telegram_enabled", "telegram_chat_id", "updated_at")
    search_fields = ("user__email",)
    # The sealed bot token is never shown or edited here.
    exclude = ("telegram_bot_token",)
    readonly_fields = ("updated_at",)
