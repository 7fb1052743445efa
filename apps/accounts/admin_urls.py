from django.urls import path

from apps.core.apis import AdminSystemApi

from . import apis

urlpatterns = [
    path("users", apis.AdminUsersApi.as_view(), name="admin-users"),
    path("users/<int:user_id>", apis.AdminUserDetailApi.as_view(), name="admin-user-detail"),
    path("users/<int:user_id>/suspend", apis.AdminUserSuspendApi.as_view(), name="admin-user-suspend"),
    path("users/<int:user_id>/activate", apis.AdminUserActivateApi.as_view(), name="admin-user-activate"),
    path("system", AdminSystemApi.as_view(), name="admin-system"),
]
