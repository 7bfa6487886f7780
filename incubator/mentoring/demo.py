"""Demo mentoring: the list of expertise tags, the centers mentors serve, their profiles, the
startups in incubation with their needs and mentors, and six months of history (sessions,
action items, check-ins, milestones, a closed month) so that every dashboard and chart shows
something on first run.

Rows are written directly (no emails to the demo accounts, and history older than the
90 days the session form accepts); the stored figures go through `sessions.count_session`,
the same function that logging a session uses.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from incubator.accounts.models import MentorCenter, User
from incubator.applications.models import Application
from incubator.db import db
from incubator.demo import Demo
from incubator.i18n import to_local
from incubator.mentoring import assignments, common, sessions
from incubator.mentoring.models import (
    ActionItem,
    ActionOwner,
    Assignment,
    CheckIn,
    ClosedMonth,
    ExpertiseTag,
    MentoredStartup,
    MentoringSession,
    MentorProfile,
    Milestone,
    MilestoneStatus,
    SessionFormat,
)

# Vietnamese name -> English name
TAGS = {
    "Gọi vốn": "Fundraising",
    "Mô hình kinh doanh": "Business model",
    "Tiếp thị số": "Digital marketing",
    "Bán hàng B2B": "B2B sales",
    "Phát triển sản phẩm": "Product development",
    "Tài chính – kế toán": "Finance and accounting",
    "Sở hữu trí tuệ": "Intellectual property",
    "Pháp lý doanh nghiệp": "Company law",
    "IoT": "IoT",
    "Nông nghiệp công nghệ cao": "High-tech agriculture",
    "Chuỗi cung ứng": "Supply chain",
    "Sản xuất thông minh": "Smart manufacturing",
    "Xuất khẩu": "Export",
    "Tuyển dụng và đội ngũ": "Hiring and team",
    "Trí tuệ nhân tạo": "Artificial intelligence",
    "Y tế số": "Digital health",
}
# email -> (centers served, expertise, sectors, capacity, languages, tags)
MENTORS = {
    "mentor@biic.test": (
        ("BIIC", "SMIC"),
        "Chiến lược kinh doanh, gọi vốn, nông nghiệp công nghệ cao",
        ["agritech", "fintech", "ecommerce"],
        4,
        ["vi", "en"],
        ["Gọi vốn", "Mô hình kinh doanh", "Nông nghiệp công nghệ cao", "Tài chính – kế toán"],
    ),
    "mentor2@biic.test": (
        ("BIIC",),
        "Marketing số, phát triển khách hàng, thương mại điện tử",
        ["ecommerce", "edtech", "tourism_food", "healthtech"],
        3,
        ["vi"],
        ["Tiếp thị số", "Bán hàng B2B", "Phát triển sản phẩm", "Y tế số"],
    ),
    "mentor@smic.test": (
        ("SMIC",),
        "Sản xuất thông minh, IoT công nghiệp, chuỗi cung ứng",
        ["manufacturing", "iot_hardware", "logistics", "cleantech"],
        3,
        ["vi", "en", "ko"],
        ["Sản xuất thông minh", "IoT", "Chuỗi cung ứng", "Xuất khẩu"],
    ),
}
# what each sector's startups say they need
NEEDS = {
    "healthtech": ["Y tế số", "Gọi vốn", "Pháp lý doanh nghiệp"],
    "ai_data": ["Trí tuệ nhân tạo", "Bán hàng B2B", "Gọi vốn"],
    "cleantech": ["IoT", "Chuỗi cung ứng", "Xuất khẩu"],
}
TOPICS = [
    ("Mô hình kinh doanh", "Rà soát mô hình doanh thu và giá bán; thống nhất thử gói thuê bao."),
    ("Bán hàng B2B", "Phân tích 12 cuộc phỏng vấn khách hàng; chọn phân khúc khách hàng đầu tiên."),
    ("Gọi vốn", "Chuẩn bị bản thuyết trình gọi vốn và bảng số liệu tài chính 3 năm."),
    (
        "Phát triển sản phẩm",
        "Ưu tiên tính năng cho bản MVP thứ hai; cắt bớt phần báo cáo nâng cao.",
    ),
    ("Tài chính – kế toán", "Lập dòng tiền 12 tháng; tách chi phí cố định và biến đổi."),
    (
        "Tuyển dụng và đội ngũ",
        "Mô tả vị trí trưởng kỹ thuật; phân chia cổ phần cho nhân sự chủ chốt.",
    ),
]
ITEMS = [
    ("Gửi bảng số liệu khách hàng cập nhật", ActionOwner.STARTUP),
    ("Giới thiệu hai khách hàng doanh nghiệp", ActionOwner.MENTOR),
    ("Hoàn thiện bảng giá gói thuê bao", ActionOwner.STARTUP),
]
# days before now of the sessions over six months; the quiet startup stops 40 days ago
SCHEDULE = (176, 160, 144, 127, 111, 95, 79, 63, 47, 31, 17, 10)
QUIET_SCHEDULE = (170, 150, 128, 104, 82, 61, 40)
FLAGGED_DAYS = 10  # logged this long ago and never confirmed: flagged to the managers
MONTHS = 6


def load(demo: Demo) -> None:
    session = demo.session
    centers = {code: center.id for code, center in demo.centers.items()}
    tags = {vi: ExpertiseTag(name_vi=vi, name_en=en) for vi, en in TAGS.items()}
    session.add_all(tags.values())
    users = {email: demo.users[email] for email in MENTORS}
    for email, (served, expertise, sectors, capacity, languages, picked) in MENTORS.items():
        mentor = users[email]
        session.add_all(MentorCenter(user_id=mentor.id, center_id=centers[c]) for c in served)
        session.add(
            MentorProfile(
                user_id=mentor.id,
                expertise=expertise,
                sectors=sectors,
                capacity=capacity,
                languages=languages,
                tags=[tags[name] for name in picked],
            )
        )
    session.flush()
    incubating = session.scalars(
        select(Application)
        .where(Application.stage.in_(assignments.MENTORED_STAGES))
        .order_by(Application.id)
    ).all()
    now = demo.now
    for number, application in enumerate(incubating):
        mentored = assignments.enrol(application)
        mentored.needs = [tags[name] for name in NEEDS.get(mentored.startup.sector.value, [])]
        mentored.languages = ["vi", "en"] if number % 2 == 0 else ["vi"]
        code = application.program.center.code
        mentor = users["mentor@smic.test" if code == "SMIC" else "mentor@biic.test"]
        assignment = _assignment(mentored, mentor, now)
        _sessions(assignment, mentored, number, now, list(tags.values()))
        _checkins(mentored, number, now)
        _milestones(mentored, now)
    this_month = to_local(now).date().replace(day=1)
    oldest_open = common.previous_month(common.previous_month(this_month))
    for center_id in centers.values():  # months before the last two are closed
        month = oldest_open
        for _ in range(MONTHS - 2):
            month = common.previous_month(month)
            session.add(ClosedMonth(center_id=center_id, month=month, closed_at=now))
    session.flush()


def _assignment(mentored: MentoredStartup, mentor: User, now: datetime) -> Assignment:
    start = to_local(now).date() - timedelta(days=180)
    assignment = Assignment(
        startup_id=mentored.startup_id,
        mentor_id=mentor.id,
        assigned_at=now - timedelta(days=180),
        starts_on=start,
        ends_on=start + timedelta(days=365),
        goals="Hoàn thiện sản phẩm, có 20 khách hàng trả phí và sẵn sàng gọi vốn hạt giống.",
        next_session_at=now.replace(hour=2) + timedelta(days=5),  # 09:00 in Hồ Chí Minh
    )
    db.session.add(assignment)
    db.session.flush()
    db.session.get(MentorProfile, mentor.id).active_assignments += 1
    return assignment


def _sessions(
    assignment: Assignment,
    mentored: MentoredStartup,
    number: int,
    now: datetime,
    tags: list[ExpertiseTag],
) -> None:
    """A session every two or three weeks: confirmed and rated, except the one logged 10 days
    ago (flagged) and the latest (awaiting). The second startup has been quiet for 40 days."""
    by_name = {tag.name_vi: tag for tag in tags}
    today = to_local(now).date()
    recent = min(2, today.day - 1)  # one session this month, unless it is the 1st
    schedule = QUIET_SCHEDULE if number == 1 else (*SCHEDULE, recent)
    founder_id = mentored.startup.members[0].user_id
    for index, days in enumerate(schedule):
        held_at = now.replace(hour=2) - timedelta(days=days)  # 09:00 in Hồ Chí Minh
        held_at = min(held_at, now - timedelta(hours=2))
        topic, summary = TOPICS[index % len(TOPICS)]
        unconfirmed = days in (FLAGGED_DAYS, recent) and number != 1
        session = MentoringSession(
            assignment_id=assignment.id,
            mentor_id=assignment.mentor_id,
            startup_id=mentored.startup_id,
            center_id=mentored.center_id,
            client_key=f"demo-{mentored.startup_id}-{index}",
            held_at=held_at,
            minutes=(60, 90, 45, 60, 120)[index % 5],
            format=(SessionFormat.IN_PERSON, SessionFormat.ONLINE)[index % 2],
            topic_tags=[by_name[topic]],
            summary=summary,
            private_notes="Đội ngũ tiếp thu nhanh; cần theo dõi dòng tiền." if index == 0 else "",
            created_at=min(held_at + timedelta(hours=3), now),
        )
        if not unconfirmed:
            session.confirmed_at = held_at + timedelta(days=1)
            session.confirmed_by_id = founder_id
            session.rating = 5 - index % 3 // 2
            mentored.rating_total += session.rating
            mentored.ratings += 1
        title, owner = ITEMS[index % len(ITEMS)]
        due_on = (held_at + timedelta(days=14)).date()
        # items of older sessions are done; of the last ones open, some already overdue
        done = days > 40 or (days > 20 and index % 2 == 0)
        session.action_items.append(
            ActionItem(
                startup_id=mentored.startup_id,
                title=title,
                owner=owner,
                due_on=due_on,
                done_at=held_at + timedelta(days=10) if done else None,
            )
        )
        db.session.add(session)
        sessions.count_session(assignment, held_at, session.minutes)


def _checkins(mentored: MentoredStartup, number: int, now: datetime) -> None:
    """Six months of KPIs, growing; the third startup has not filed last month's."""
    month = to_local(now).date().replace(day=1)
    months: list[date] = []
    for _ in range(MONTHS):
        month = common.previous_month(month)
        months.append(month)
    if number == 2:
        months = months[1:]
    for age, month in enumerate(sorted(months)):
        db.session.add(
            CheckIn(
                startup_id=mentored.startup_id,
                month=month,
                revenue_vnd=(30 + 18 * age + 10 * number + 7 * (age % 2)) * 1_000_000,
                customers=8 + 6 * age + number,
                funding_raised_vnd=800_000_000 if age == 3 else 0,
                headcount=4 + age // 2,
                note="Số liệu từ sổ sách kế toán.",
                submitted_by_id=mentored.startup.members[0].user_id,
                submitted_at=now,
            )
        )
    mentored.last_checkin_on = max(months)


# title, days from today, status, evidence
MILESTONES = (
    ("Phỏng vấn 30 khách hàng tiềm năng", -140, MilestoneStatus.DONE, "Bảng tổng hợp phỏng vấn."),
    ("Hoàn thành bản MVP thứ hai", -60, MilestoneStatus.DONE, "Bản demo tại buổi cố vấn."),
    ("Đăng ký nhãn hiệu", -20, MilestoneStatus.MISSED, ""),
    ("Ký hợp đồng với 10 khách hàng trả phí", 25, MilestoneStatus.IN_PROGRESS, ""),
    ("Sẵn sàng gọi vốn hạt giống", 90, MilestoneStatus.PLANNED, ""),
)


def _milestones(mentored: MentoredStartup, now: datetime) -> None:
    today = to_local(now).date()
    db.session.add_all(
        Milestone(
            startup_id=mentored.startup_id,
            title=title,
            due_on=today + timedelta(days=days),
            status=status,
            evidence=evidence,
        )
        for title, days, status, evidence in MILESTONES
    )
