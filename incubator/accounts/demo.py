"""Demo step: an account of every role, each with the demo password."""

from __future__ import annotations

from incubator.accounts.models import Role, RoleGrant, User
from incubator.accounts.passwords import hash_password
from incubator.demo import DEMO_PASSWORD, Demo

ACCOUNTS = [
    # email, name, roles, managed center
    ("admin@incubator.test", "Quản trị hệ thống", (Role.ADMIN,), None),
    ("manager@biic.test", "Phạm Thu Hà", (Role.MANAGER,), "BIIC"),
    ("manager@smic.test", "Võ Quốc Huy", (Role.MANAGER,), "SMIC"),
    ("mentor@biic.test", "TS. Đặng Minh Tuấn", (Role.MENTOR, Role.JUDGE), None),
    ("judge@biic.test", "Hoàng Lan Anh", (Role.JUDGE,), None),
    ("founder@biic.test", "Nguyễn Văn An", (Role.FOUNDER,), None),
    ("founder@smic.test", "Trần Thị Bích Ngọc", (Role.FOUNDER,), None),
    ("mentor2@biic.test", "ThS. Lý Thanh Tâm", (Role.MENTOR,), None),
    ("mentor@smic.test", "KS. Bùi Đức Thịnh", (Role.MENTOR, Role.JUDGE), None),
]


def load(demo: Demo) -> None:
    for email, name, roles, center in ACCOUNTS:
        make_user(demo, email, name, roles, center)


def make_user(
    demo: Demo, email: str, name: str, roles: tuple[Role, ...], center: str | None = None
) -> User:
    """A user with DEMO_PASSWORD and `roles`; a manager manages `center` (a code)."""
    demo.password_hash = demo.password_hash or hash_password(DEMO_PASSWORD)
    user = User(
        email=email,
        name=name,
        locale="vi",
        password_hash=demo.password_hash,
        email_confirmed_at=demo.now,
    )
    for role in roles:
        center_id = demo.centers[center].id if role is Role.MANAGER and center else None
        user.grants.append(RoleGrant(role=role, center_id=center_id))
    demo.session.add(user)
    demo.users[email] = user
    return user


def manager(demo: Demo, center: str) -> User:
    """The demo account that manages `center` (a code)."""
    email = next(a[0] for a in ACCOUNTS if Role.MANAGER in a[2] and a[3] == center)
    return demo.users[email]
