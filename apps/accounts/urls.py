from django.urls import path

from . import apis

urlpatterns = [
    path("register", apis.RegisterApi.as_view(), name="auth-register"),
    path("login", apis.LoginApi.as_view(), name="auth-login"),
    path("refresh", apis.RefreshApi.as_view(), name="auth-refresh"),
    path("logout", apis.LogoutApi.as_view(), name="auth-logout"),
    path("totp", apis.TotpStatusApi.as_view(), name="auth-totp"),
    path("totp/setup", apis.TotpSetupApi.as_view(), name="auth-totp-setup"),
    path("totp/confirm", apis.TotpConfirmApi.as_view(), name="auth-totp-confirm"),
    path("totp/disable", apis.TotpDisableApi.as_view(), name="auth-totp-disable"),
]
