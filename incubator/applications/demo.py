"""Demo step: applications in every stage, each with a placeholder pitch deck and a history
walked along the stage table (`stages.route`), every move checked, at back-dated times."""

from __future__ import annotations

import secrets
from datetime import timedelta

from incubator import files
from incubator.accounts.demo import manager
from incubator.applications.decks import DECKS
from incubator.applications.drafts import store_answer
from incubator.applications.models import Application, StageTransition
from incubator.applications.stages import Capacity, Stage, check, route
from incubator.demo import Demo, slug
from incubator.programs.models import Program
from incubator.questions.models import Kind
from incubator.questions.services import form_of
from incubator.startups.models import Startup
from incubator.storage import storage

REASONS = {
    Stage.REJECTED: "Sản phẩm còn ở giai đoạn ý tưởng; mời nhóm nộp lại ở đợt sau khi có khách hàng thử nghiệm.",
    Stage.DROPPED: "Nhóm sáng lập tạm dừng dự án để tập trung vào công việc khác.",
    Stage.WITHDRAWN: "Nhóm đã nhận đầu tư và chuyển sang chương trình tăng tốc khác.",
    Stage.WAITLISTED: "Hồ sơ tốt nhưng đã đủ chỉ tiêu; sẽ xét nếu có suất trống.",
}

# startup, program key, final stage
APPLICATIONS = [
    ("Nông Trại Số", "biic_open", Stage.DRAFT),
    ("EduViet AI", "biic_open", Stage.SUBMITTED),
    ("Ví Xanh", "biic_open", Stage.SCREENING),
    ("Gốm Lái Thiêu Online", "biic_open", Stage.WITHDRAWN),
    ("MediCare Thủ Dầu Một", "biic_past", Stage.INCUBATING),
    ("LogiMekong", "biic_past", Stage.GRADUATED),
    ("Sơn Mài Tương Bình Hiệp", "biic_past", Stage.REJECTED),
    ("DataMine Analytics", "biic_past", Stage.DEMO_DAY),
    ("VietTrace", "biic_past", Stage.WAITLISTED),
    ("Nông Trại Số", "biic_past", Stage.ACCEPTED),
    ("SmartFab Việt", "smic_open", Stage.SCREENING),
    ("RoboWeld", "smic_open", Stage.SUBMITTED),
    ("Năng Lượng Xanh BD", "smic_past", Stage.INCUBATING),
    ("CoKhi 4.0", "smic_past", Stage.DROPPED),
    ("SmartFab Việt", "smic_past", Stage.GRADUATED),
]

ANSWERS = {
    "problem": "Doanh nghiệp và người dân ở Bình Dương đang gặp khó khăn: chi phí cao, thông tin "
    "thiếu minh bạch và quy trình còn thủ công.",
    "solution": "Chúng tôi xây dựng giải pháp số đơn giản, dùng được trên điện thoại, đã thử nghiệm "
    "với khách hàng đầu tiên tại Thủ Dầu Một và Dĩ An.",
    "market": "Thị trường mục tiêu là hơn 50.000 doanh nghiệp vừa và nhỏ tại Bình Dương và vùng "
    "Đông Nam Bộ.",
    "traction": "3 khách hàng trả phí, 12 đơn vị dùng thử, doanh thu 6 tháng gần nhất 180.000.000 ₫.",
    "team": "Nhóm 5 người: kỹ sư phần mềm, kỹ sư tự động hóa và chuyên gia kinh doanh, từng làm "
    "việc tại các doanh nghiệp FDI.",
    "funding_need_vnd": 1_500_000_000,
    # the SMIC call's manufacturing questions
    "factory_partner": True,
    "factory_partners": "Xưởng cơ khí Tân Uyên gia công khung; nhà máy điện tử ở KCN Mỹ Phước "
    "lắp ráp bo mạch.",
}
# the machines each SMIC applicant needs, in turn (a filter of the ranking shows them)
MACHINES = [("cnc",), ("cnc", "laser"), ("printer_3d",)]


def load(demo: Demo) -> None:
    for startup, key, final in APPLICATIONS:
        application = make(demo, demo.startups[startup], demo.programs[key], final)
        demo.applications[f"{startup} / {key}"] = application


def make(demo: Demo, startup: Startup, program: Program, final: Stage) -> Application:
    founder = startup.members[0].user
    started = program.opens_at + timedelta(days=2)
    application = Application(
        startup=startup,
        program=program,
        created_by_id=founder.id,
        created_at=started,
        updated_at=started,
    )
    deck = files.minimal_pdf(f"{startup.name} - Pitch deck")
    name = f"demo-{secrets.token_hex(8)}.pdf"
    storage().save(files.key(DECKS, name), deck)
    application.deck_file = name
    application.deck_filename = f"pitch-deck-{slug(startup.name)}.pdf"
    application.deck_size = len(deck)
    application.deck_uploaded_at = started
    demo.session.add(application)
    demo.session.flush()
    answer(application, len(demo.applications))
    application.transitions.append(
        StageTransition(from_stage=None, to_stage=Stage.DRAFT, actor_id=founder.id, at=started)
    )
    managing = manager(demo, program.center.code)
    stage, at = Stage.DRAFT, started
    for target in route(final):
        move = check(stage, target, Capacity)
        at = at + timedelta(days=3)
        if target is Stage.SUBMITTED:
            at = min(at, program.closes_at - timedelta(days=1))
            application.submitted_at = at
        actor = founder if move.capacity is Capacity.FOUNDER else managing
        application.transitions.append(
            StageTransition(
                from_stage=stage,
                to_stage=target,
                actor_id=actor.id,
                reason=REASONS.get(target, ""),
                at=at,
            )
        )
        stage = target
    application.stage = stage
    application.updated_at = at
    return application


def answer(application: Application, n: int) -> None:
    """Every question of the call's form that the demo knows an answer to."""
    for question in form_of(application.program).questions:
        value = ANSWERS.get(question.key)
        if question.kind is Kind.MULTIPLE_CHOICE:
            value = [c for c in question.choices if c.value in MACHINES[n % len(MACHINES)]]
        if value is not None:
            store_answer(application, question, None, value)
