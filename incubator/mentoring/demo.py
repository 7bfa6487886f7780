"""Demo mentoring: the centers mentors serve, their profiles, the startups in incubation with
their mentors, a few months of sessions, check-ins and milestones.

Rows are written directly (no emails to the demo accounts); the stored figures go through
`services.count_session`, the same function that logging a session uses.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from incubator.accounts.models import MentorCenter, User
from incubator.applications.models import Application
from incubator.db import db
from incubator.demo import Demo
from incubator.i18n import to_local
from incubator.mentoring import services
from incubator.mentoring.models import (
    ActionItem,
    ActionOwner,
    Assignment,
    CheckIn,
    MentoringSession,
    MentorProfile,
    Milestone,
    MilestoneStatus,
    SessionFormat,
)

# email -> (centers served, expertise, sectors, capacity)
MENTORS = {
    "mentor@biic.test": (
        ("BIIC", "SMIC"),
        "Chiến lược kinh doanh, gọi vốn, nông nghiệp công nghệ cao",
        ["agritech", "fintech", "ecommerce"],
        4,
    ),
    "mentor2@biic.test": (
        ("BIIC",),
        "Marketing số, phát triển khách hàng, thương mại điện tử",
        ["ecommerce", "edtech", "tourism_food"],
        3,
    ),
    "mentor@smic.test": (
        ("SMIC",),
        "Sản xuất thông minh, IoT công nghiệp, chuỗi cung ứng",
        ["manufacturing", "iot_hardware", "logistics"],
        3,
    ),
}
TOPICS = [
    ("Mô hình kinh doanh", "Rà soát mô hình doanh thu và giá bán; thống nhất thử gói thuê bao."),
    ("Khách hàng", "Phân tích 12 cuộc phỏng vấn khách hàng; chọn phân khúc hộ trồng sầu riêng."),
    ("Gọi vốn", "Chuẩn bị bản thuyết trình gọi vốn và bảng số liệu tài chính 3 năm."),
    ("Sản phẩm", "Ưu tiên tính năng cho bản MVP thứ hai; cắt bớt phần báo cáo nâng cao."),
]


def load(demo: Demo) -> None:
    session = demo.session
    centers = {code: center.id for code, center in demo.centers.items()}
    users = {email: demo.users[email] for email in MENTORS}
    for email, (served, expertise, sectors, capacity) in MENTORS.items():
        mentor = users[email]
        session.add_all(MentorCenter(user_id=mentor.id, center_id=centers[c]) for c in served)
        session.add(
            MentorProfile(
                user_id=mentor.id, expertise=expertise, sectors=sectors, capacity=capacity
            )
        )
    session.flush()
    incubating = session.scalars(
        select(Application)
        .where(Application.stage.in_(services.MENTORED_STAGES))
        .order_by(Application.id)
    ).all()
    now = demo.now
    for number, application in enumerate(incubating):
        mentored = services.enrol(application)
        code = application.program.center.code
        mentor = users["mentor@smic.test" if code == "SMIC" else "mentor@biic.test"]
        _assignment(mentored, mentor, now - timedelta(days=80))
        _history(mentored, number, now)
    session.flush()


def _assignment(mentored: services.MentoredStartup, mentor: User, at: datetime) -> Assignment:
    assignment = Assignment(startup_id=mentored.startup_id, mentor_id=mentor.id, assigned_at=at)
    db.session.add(assignment)
    db.session.flush()
    db.session.get(MentorProfile, mentor.id).active_assignments += 1
    return assignment


def _history(mentored: services.MentoredStartup, number: int, now: datetime) -> None:
    """Sessions every two or three weeks (the last one left unconfirmed), three check-ins,
    milestones. The second startup has had no session for more than 30 days."""
    assignment = db.session.scalars(
        select(Assignment).where(Assignment.startup_id == mentored.startup_id)
    ).one()
    days_ago = (85, 65, 45) if number == 1 else (75, 55, 35, 12)
    count = len(days_ago)
    for index, days in enumerate(days_ago):
        held_at = now.replace(hour=2) - timedelta(days=days)  # 09:00 in Hồ Chí Minh
        topic, summary = TOPICS[index % len(TOPICS)]
        last = index == count - 1
        session = MentoringSession(
            assignment_id=assignment.id,
            mentor_id=assignment.mentor_id,
            startup_id=mentored.startup_id,
            center_id=mentored.center_id,
            client_key=f"demo-{mentored.startup_id}-{index}",
            held_at=held_at,
            minutes=(60, 90, 45, 60)[index],
            format=(SessionFormat.IN_PERSON, SessionFormat.ONLINE)[index % 2],
            topics=topic,
            summary=summary,
            private_notes="Đội ngũ tiếp thu nhanh; cần theo dõi dòng tiền." if index == 0 else "",
            created_at=held_at + timedelta(hours=3),
        )
        if not last:
            session.confirmed_at = held_at + timedelta(days=1)
            session.confirmed_by_id = mentored.startup.members[0].user_id
            session.rating = 5 - index % 2
            mentored.rating_total += session.rating
            mentored.ratings += 1
        session.action_items.append(
            ActionItem(
                startup_id=mentored.startup_id,
                title="Gửi bảng số liệu khách hàng cập nhật",
                owner=ActionOwner.STARTUP,
                due_on=(held_at + timedelta(days=14)).date(),
                done_at=None if last else held_at + timedelta(days=10),
            )
        )
        db.session.add(session)
        services.count_session(assignment, held_at, session.minutes)
    this_month = to_local(now).date().replace(day=1)
    month = services.previous_month(this_month)
    months = [month] if number != 2 else []  # the third startup has not filed last month's
    for _ in range(2):
        month = services.previous_month(month)
        months.append(month)
    for age, month in enumerate(sorted(months)):
        db.session.add(
            CheckIn(
                startup_id=mentored.startup_id,
                month=month,
                revenue_vnd=(40 + 25 * age + 10 * number) * 1_000_000,
                customers=12 + 9 * age,
                funding_raised_vnd=500_000_000 if age == 1 else 0,
                headcount=5 + age,
                note="Số liệu từ sổ sách kế toán.",
                submitted_by_id=mentored.startup.members[0].user_id,
                submitted_at=now,
            )
        )
    mentored.last_checkin_on = max(months)
    db.session.add_all(
        [
            Milestone(
                startup_id=mentored.startup_id,
                title="Hoàn thành bản MVP thứ hai",
                due_on=this_month - timedelta(days=20),
                status=MilestoneStatus.DONE,
                evidence="Bản demo tại buổi cố vấn tháng trước.",
            ),
            Milestone(
                startup_id=mentored.startup_id,
                title="Ký hợp đồng với 10 khách hàng trả phí",
                due_on=this_month + timedelta(days=45),
                status=MilestoneStatus.IN_PROGRESS,
            ),
        ]
    )
