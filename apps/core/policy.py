"""Who may call what: the role matrix of ARCHITECTURE.md, declared once.

Every named API route must appear here. The permission class denies any route missing from
this table, and the role-matrix test fails for it, so a new endpoint cannot ship without a
policy. Object ownership (own vs all) is enforced by selectors, not here.
"""

from __future__ import annotations

ADMIN = "admin"
USER = "user"
BROKER = "broker"
GUEST = "guest"
ROLES = (ADMIN, USER, BROKER, GUEST)

EVERYONE = frozenset(ROLES)
SIGNED_IN = frozenset({ADMIN, USER, BROKER})
TRADERS = frozenset({ADMIN, USER})
ADMINS = frozenset({ADMIN})
BROKER_STAFF = frozenset({ADMIN, BROKER})

POLICY: dict[str, frozenset[str]] = {
    # auth
    "auth-register": EVERYONE,
    "auth-login": EVERYONE,
    "auth-refresh": EVERYONE,
    "auth-logout": EVERYONE,
    "auth-me": SIGNED_IN,
    # TOTP second factor: admins and broker staff enrol; login then requires the code
    "auth-totp": SIGNED_IN,
    "auth-totp-setup": BROKER_STAFF,
    "auth-totp-confirm": BROKER_STAFF,
    "auth-totp-disable": BROKER_STAFF,
    # docs
    "schema": EVERYONE,
    "docs": EVERYONE,
    # broker accounts (trading accounts of traders)
    "broker-list": SIGNED_IN,
    "broker-connect": TRADERS,
    "broker-accounts": TRADERS,
    "broker-account-detail": TRADERS,
    "broker-stats": BROKER_STAFF,
    # daily broker login (own accounts); the callback is the broker's browser redirect: its
    # signed single-use state authenticates it (a signed-in caller must own the account)
    "broker-account-login-start": TRADERS,
    "broker-account-credentials": TRADERS,
    "broker-login-callback": EVERYONE,
    "broker-readiness": TRADERS,
    # broker staff: halt their own broker's flow; see their clients' registered static IPs
    "broker-kill": BROKER_STAFF,
    "broker-kill-release": BROKER_STAFF,
    "broker-static-ips": BROKER_STAFF,
    # strategies (own; admins all, by selector)
    "strategy-create": TRADERS,
    "strategy-list": TRADERS,
    "strategy-start": TRADERS,
    "strategy-stop": TRADERS,
    "strategy-status": TRADERS,
    "strategy-detail": TRADERS,
    "strategy-orders": TRADERS,
    # live updates (the view authenticates itself: EventSource cannot send headers)
    "stream-sse": SIGNED_IN,
    # administration
    "admin-users": ADMINS,
    "admin-user-detail": ADMINS,
    "admin-user-suspend": ADMINS,
    "admin-user-activate": ADMINS,
    "admin-system": ADMINS,
    "admin-user-stop-strategies": ADMINS,
    "admin-strategies": ADMINS,
    "admin-strategy-stop": ADMINS,
    "admin-kill-switches": ADMINS,
    "admin-kill-switch-release": ADMINS,
    "admin-settings": ADMINS,
    "admin-orders": ADMINS,
    "admin-order-detail": ADMINS,
    "admin-audit": ADMINS,
    # traders: compliance (static IPs of their own broker accounts) and their dashboard
    "compliance-static-ips": TRADERS,
    "compliance-static-ip": TRADERS,
    "dashboard": TRADERS,
    # notifications (own)
    "notifications": SIGNED_IN,
    "notification-read": SIGNED_IN,
    "notifications-read-all": SIGNED_IN,
    "notification-settings": SIGNED_IN,
    # playground (own backtests)
    "playground-backtests": TRADERS,
    "playground-runs": TRADERS,
    "playground-run": TRADERS,
    "playground-samples": TRADERS,
}


def allowed_roles(route_name: str | None) -> frozenset[str] | None:
    if route_name is None:
        return None
    return POLICY.get(route_name)
