"""Demo step: a past demo day of the BIIC 2026 program, scored by three judges (one harsh,
one lenient), published, with its graduates' certificates; and an upcoming one with its
running order (a break included) and invited judges, so that the judge demo account
(mentor@biic.test) has something to do on first run."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from incubator.accounts.demo import make_user, manager
from incubator.accounts.models import Role
from incubator.applications.demo import make as make_application
from incubator.applications.models import Application, StageTransition
from incubator.applications.stages import Capacity, Stage, check
from incubator.demo import Demo
from incubator.demodays.certificates import issue_certificate
from incubator.demodays.models import (
    DemoCriterion,
    DemoDay,
    DemoJudge,
    DemoScore,
    DemoSlot,
    JudgeSheet,
    Status,
)
from incubator.demodays.standings import recompute
from incubator.i18n import local_to_utc, to_local
from incubator.startups.models import Sector, Startup, StartupMember

# new startups of the BIIC 2026 cohort: name, sector, description, (email, founder), final stage
COHORT = [
    (
        "AquaSense Bình Dương",
        Sector.IOT_HARDWARE,
        "Cảm biến chất lượng nước cho ao nuôi cá ở Bàu Bàng, cảnh báo qua Zalo khi oxy hòa tan thấp.",
        ("ly.quoc.bao@demo.test", "Lý Quốc Bảo"),
        Stage.GRADUATED,
    ),
    (
        "Bếp Xanh Thủ Dầu Một",
        Sector.TOURISM_FOOD,
        "Bếp trung tâm nấu suất ăn công nghiệp từ rau sạch Bình Dương cho các nhà máy nhỏ.",
        ("phan.thi.thu.trang@demo.test", "Phan Thị Thu Trang"),
        Stage.INCUBATING,  # judged "not ready" at the demo day: back to incubation
    ),
    (
        "Sen Vàng Logistics",
        Sector.LOGISTICS,
        "Kho lạnh chia sẻ theo giờ cho nông sản xuất khẩu tại KCN Sóng Thần.",
        ("dinh.hoang.yen@demo.test", "Đinh Hoàng Yến"),
        Stage.DEMO_DAY,  # pitches at the upcoming demo day
    ),
]

CRITERIA = [
    ("Vấn đề và giải pháp", "Problem and solution", 3, 10),
    ("Thị trường và mô hình kinh doanh", "Market and business model", 3, 10),
    ("Đội ngũ", "Team", 2, 10),
    ("Kết quả đạt được", "Traction", 2, 10),
]

# the past demo day: startup -> scores per judge (one value per criterion)
JUDGES = ("judge@biic.test", "mentor@biic.test", "mentor@smic.test")  # harsh, middle, lenient
PAST_SCORES = {
    "LogiMekong": ((6, 6, 5, 6), (8, 7, 8, 8), (10, 9, 9, 10)),
    "AquaSense Bình Dương": ((5, 6, 5, 5), (8, 8, 7, 7), (9, 10, 9, 9)),
    "Bếp Xanh Thủ Dầu Một": ((3, 4, 4, 3), (6, 5, 6, 5), (8, 8, 9, 8)),
}
COMMENTS = {
    (
        "mentor@biic.test",
        "LogiMekong",
    ): "Số liệu vận hành thuyết phục; nên trình bày rõ biên lợi nhuận mỗi chuyến.",
    (
        "judge@biic.test",
        "AquaSense Bình Dương",
    ): "Sản phẩm tốt, cần thêm khách hàng trả phí ngoài Bàu Bàng.",
    (
        "mentor@smic.test",
        "Bếp Xanh Thủ Dầu Một",
    ): "Ý tưởng hay nhưng chưa có hợp đồng với nhà máy nào; nên thử nghiệm thêm 3 tháng.",
}


def load(demo: Demo) -> None:
    program = demo.programs["biic_past"]
    for name, sector, description, (email, person), final in COHORT:
        owner = demo.users.get(email) or make_user(demo, email, person, (Role.FOUNDER,))
        startup = Startup(name=name, sector=sector, description=description, trl=6, team_size=5)
        startup.members.append(StartupMember(user=owner, title="CEO"))
        demo.session.add(startup)
        demo.startups[name] = startup
        target = Stage.DEMO_DAY if final is Stage.INCUBATING else final
        application = make_application(demo, startup, program, target)
        if final is Stage.INCUBATING:
            _not_ready(demo, application)
        demo.applications[f"{name} / biic_past"] = application
    demo.session.flush()
    past(demo)
    upcoming(demo)


def _not_ready(demo: Demo, application: Application) -> None:
    move = check(Stage.DEMO_DAY, Stage.INCUBATING, Capacity)
    at = application.updated_at + timedelta(days=1)
    application.transitions.append(
        StageTransition(
            from_stage=Stage.DEMO_DAY,
            to_stage=move.target,
            actor_id=manager(demo, "BIIC").id,
            reason="",
            at=at,
        )
    )
    application.stage = Stage.INCUBATING
    application.updated_at = at


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return local_to_utc(datetime.combine(day, time(hour, minute)))


def _demo_day(demo: Demo, name_vi: str, name_en: str, starts_at: datetime) -> DemoDay:
    program = demo.programs["biic_past"]
    demo_day = DemoDay(
        program=program,
        center_id=program.center.id,
        name_vi=name_vi,
        name_en=name_en,
        starts_at=starts_at,
        venue="Hội trường BIIC, Tòa nhà Trung tâm Hành chính tỉnh, Thủ Dầu Một",
        pitch_minutes=7,
        qa_minutes=5,
        created_by_id=manager(demo, "BIIC").id,
        created_at=starts_at - timedelta(days=20),
        updated_at=starts_at - timedelta(days=20),
    )
    for position, (vi, en, weight, max_score) in enumerate(CRITERIA):
        demo_day.criteria.append(
            DemoCriterion(
                position=position, name_vi=vi, name_en=en, weight=weight, max_score=max_score
            )
        )
    demo.session.add(demo_day)
    demo.session.flush()
    return demo_day


def _pitch(demo: Demo, demo_day: DemoDay, startup: str, position: int) -> DemoSlot:
    application = demo.applications[f"{startup} / biic_past"]
    slot = DemoSlot(demo_day_id=demo_day.id, application_id=application.id, position=position)
    demo.session.add(slot)
    return slot


def past(demo: Demo) -> None:
    graduated_at = next(
        t.at
        for t in demo.applications["LogiMekong / biic_past"].transitions
        if t.to_stage is Stage.GRADUATED
    )
    day = to_local(graduated_at - timedelta(days=2)).date()
    demo_day = _demo_day(demo, "Demo Day BIIC 2026", "BIIC Demo Day 2026", _at(day, 8, 30))
    slots = {
        name: _pitch(demo, demo_day, name, position) for position, name in enumerate(PAST_SCORES)
    }
    demo.session.add(
        DemoSlot(
            demo_day_id=demo_day.id,
            position=len(slots),
            break_minutes=15,
            break_label="Giải lao",
        )
    )
    demo.session.flush()
    for email in JUDGES:
        demo.session.add(DemoJudge(demo_day_id=demo_day.id, user_id=demo.users[email].id))
    scored_at = demo_day.starts_at + timedelta(hours=1)
    for startup, per_judge in PAST_SCORES.items():
        for email, values in zip(JUDGES, per_judge, strict=True):
            judge = demo.users[email]
            for criterion, value in zip(demo_day.criteria, values, strict=True):
                demo.session.add(
                    DemoScore(
                        slot_id=slots[startup].id,
                        judge_id=judge.id,
                        criterion_id=criterion.id,
                        value=value,
                        updated_at=scored_at,
                    )
                )
            comment = COMMENTS.get((email, startup))
            if comment:
                demo.session.add(
                    JudgeSheet(
                        slot_id=slots[startup].id,
                        judge_id=judge.id,
                        comment=comment,
                        updated_at=scored_at,
                    )
                )
    demo_day.status = Status.PUBLISHED
    demo_day.published_at = demo_day.starts_at + timedelta(hours=4)
    demo.session.flush()
    demo.session.expire(demo_day, ["slots"])
    recompute(demo_day)
    for startup in ("LogiMekong", "AquaSense Bình Dương"):
        application = demo.applications[f"{startup} / biic_past"]
        on = to_local(
            next(t.at for t in application.transitions if t.to_stage is Stage.GRADUATED)
        ).date()
        issue_certificate(application, demo_day, on)


def upcoming(demo: Demo) -> None:
    day = to_local(demo.now + timedelta(days=7)).date()
    demo_day = _demo_day(
        demo, "Demo Day BIIC 2026 – Đợt 2", "BIIC Demo Day 2026 – Round 2", _at(day, 8, 30)
    )
    _pitch(demo, demo_day, "DataMine Analytics", 0)
    demo.session.add(
        DemoSlot(demo_day_id=demo_day.id, position=1, break_minutes=10, break_label="Giải lao")
    )
    _pitch(demo, demo_day, "Sen Vàng Logistics", 2)
    for email in ("mentor@biic.test", "judge@biic.test"):
        demo.session.add(DemoJudge(demo_day_id=demo_day.id, user_id=demo.users[email].id))
