"""Demo data for a newcomer: accounts of every role, programs, startups and applications.

Stage histories are written with back-dated times; every step is checked
against the stage table, so the demo can never hold a history the app
itself could not have made. No email is queued.
"""

from __future__ import annotations

import secrets
import unicodedata
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from incubator import files
from incubator.accounts.models import Role, RoleGrant, User
from incubator.accounts.services import hash_password
from incubator.applications.models import Application, StageTransition
from incubator.applications.services import DECKS
from incubator.applications.stages import Capacity, Stage, check
from incubator.centers.models import Center
from incubator.db import db
from incubator.programs.models import Program, ProgramKind, ProgramStatus, RubricCriterion
from incubator.reviews.models import Conflict, Review, ReviewScore
from incubator.startups.models import Sector, Startup, StartupMember

DEMO_PASSWORD = "demo1234"

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

# name, sector, description, founded, TRL, team, founder (email, name, title)
STARTUPS = [
    (
        "Nông Trại Số",
        Sector.AGRITECH,
        "Cảm biến độ ẩm và ứng dụng tưới tiêu thông minh cho vườn sầu riêng, cao su ở Phú Giáo, "
        "Dầu Tiếng; nông dân tiết kiệm 30% nước và phân bón.",
        date(2023, 3, 15),
        6,
        5,
        ("founder@biic.test", None, "CEO"),
    ),
    (
        "SmartFab Việt",
        Sector.MANUFACTURING,
        "Bảo trì dự đoán cho dây chuyền sản xuất tại các khu công nghiệp VSIP, Mỹ Phước: cảm biến "
        "rung và AI báo trước hỏng hóc máy móc.",
        date(2022, 9, 1),
        7,
        9,
        ("founder@smic.test", None, "CEO"),
    ),
    (
        "EduViet AI",
        Sector.EDTECH,
        "Trợ lý học tiếng Anh bằng trí tuệ nhân tạo cho học sinh THCS, chấm phát âm theo giọng Việt.",
        date(2024, 1, 10),
        5,
        4,
        ("le.minh.khoa@demo.test", "Lê Minh Khoa", "Nhà sáng lập"),
    ),
    (
        "Ví Xanh",
        Sector.FINTECH,
        "Ví điện tử tích điểm cho công nhân khu công nghiệp: nhận lương, tiết kiệm và vay nhỏ minh bạch.",
        date(2023, 6, 20),
        6,
        7,
        ("dang.thu.trang@demo.test", "Đặng Thu Trang", "CEO"),
    ),
    (
        "MediCare Thủ Dầu Một",
        Sector.HEALTHTECH,
        "Đặt lịch khám và theo dõi bệnh mạn tính cho phòng khám tư nhân ở Thủ Dầu Một, Dĩ An.",
        date(2022, 11, 5),
        7,
        6,
        ("pham.quoc.bao@demo.test", "Phạm Quốc Bảo", "CEO"),
    ),
    (
        "LogiMekong",
        Sector.LOGISTICS,
        "Ghép chuyến xe tải rỗng chiều về giữa Bình Dương và các tỉnh miền Tây.",
        date(2021, 8, 12),
        8,
        12,
        ("huynh.tan.phat@demo.test", "Huỳnh Tấn Phát", "CEO"),
    ),
    (
        "Gốm Lái Thiêu Online",
        Sector.ECOMMERCE,
        "Đưa gốm sứ Lái Thiêu lên sàn thương mại điện tử, kể chuyện làng nghề qua video.",
        date(2023, 2, 2),
        6,
        5,
        ("nguyen.thi.mai@demo.test", "Nguyễn Thị Mai", "Nhà sáng lập"),
    ),
    (
        "Năng Lượng Xanh BD",
        Sector.CLEANTECH,
        "Điện mặt trời áp mái trả góp cho nhà xưởng vừa và nhỏ, giám sát sản lượng từ xa.",
        date(2022, 4, 18),
        7,
        8,
        ("tran.van.hung@demo.test", "Trần Văn Hùng", "CEO"),
    ),
    (
        "RoboWeld",
        Sector.IOT_HARDWARE,
        "Cánh tay robot hàn giá rẻ cho xưởng cơ khí, lập trình bằng cách cầm tay chỉ việc.",
        date(2023, 9, 9),
        5,
        6,
        ("vo.thanh.long@demo.test", "Võ Thành Long", "CTO"),
    ),
    (
        "Sơn Mài Tương Bình Hiệp",
        Sector.TOURISM_FOOD,
        "Tour trải nghiệm làm tranh sơn mài tại làng nghề Tương Bình Hiệp kết hợp ẩm thực địa phương.",
        date(2024, 5, 1),
        4,
        3,
        ("ly.kim.ngan@demo.test", "Lý Kim Ngân", "Nhà sáng lập"),
    ),
    (
        "DataMine Analytics",
        Sector.AI_DATA,
        "Phân tích dữ liệu bán hàng cho chuỗi bán lẻ vừa, dự báo tồn kho theo mùa vụ.",
        date(2022, 7, 7),
        7,
        10,
        ("bui.anh.tuan@demo.test", "Bùi Anh Tuấn", "CEO"),
    ),
    (
        "VietTrace",
        Sector.AGRITECH,
        "Truy xuất nguồn gốc nông sản bằng mã QR, từ vườn bưởi Bạch Đằng đến siêu thị.",
        date(2023, 12, 1),
        6,
        5,
        ("do.hoang.nam@demo.test", "Đỗ Hoàng Nam", "CEO"),
    ),
    (
        "CoKhi 4.0",
        Sector.MANUFACTURING,
        "Phần mềm MES nhẹ cho xưởng cơ khí chính xác: theo dõi đơn hàng, máy CNC và năng suất ca.",
        date(2022, 3, 3),
        7,
        8,
        ("ngo.thi.lan@demo.test", "Ngô Thị Lan", "CEO"),
    ),
]

RUBRIC_BIIC = [
    ("Vấn đề và thị trường", "Vấn đề có thật, thị trường đủ lớn ở Bình Dương và cả nước", 3, 10),
    ("Giải pháp và đổi mới", "Mức độ đổi mới sáng tạo, lợi thế so với giải pháp hiện có", 3, 10),
    ("Đội ngũ", "Năng lực và sự cam kết của nhóm sáng lập", 2, 10),
    ("Mô hình kinh doanh", "Cách tạo doanh thu, khả năng mở rộng", 2, 10),
]
RUBRIC_SMIC = [
    ("Ứng dụng công nghiệp 4.0", "Tự động hóa, IoT, dữ liệu trong sản xuất", 4, 5),
    ("Khả thi kỹ thuật", "TRL, kết quả thử nghiệm tại nhà máy", 3, 5),
    ("Tác động", "Năng suất, tiết kiệm năng lượng, việc làm", 2, 5),
    ("Đội ngũ", "Kinh nghiệm kỹ thuật và kinh doanh", 1, 5),
]

# The path each demo application walks, from its draft.
PATHS = {
    Stage.DRAFT: [],
    Stage.SUBMITTED: [Stage.SUBMITTED],
    Stage.SCREENING: [Stage.SUBMITTED, Stage.SCREENING],
    Stage.ACCEPTED: [Stage.SUBMITTED, Stage.SCREENING, Stage.ACCEPTED],
    Stage.WAITLISTED: [Stage.SUBMITTED, Stage.SCREENING, Stage.WAITLISTED],
    Stage.REJECTED: [Stage.SUBMITTED, Stage.SCREENING, Stage.REJECTED],
    Stage.INCUBATING: [Stage.SUBMITTED, Stage.SCREENING, Stage.ACCEPTED, Stage.INCUBATING],
    Stage.DEMO_DAY: [
        Stage.SUBMITTED,
        Stage.SCREENING,
        Stage.ACCEPTED,
        Stage.INCUBATING,
        Stage.DEMO_DAY,
    ],
    Stage.GRADUATED: [
        Stage.SUBMITTED,
        Stage.SCREENING,
        Stage.ACCEPTED,
        Stage.INCUBATING,
        Stage.DEMO_DAY,
        Stage.GRADUATED,
    ],
    Stage.DROPPED: [
        Stage.SUBMITTED,
        Stage.SCREENING,
        Stage.ACCEPTED,
        Stage.INCUBATING,
        Stage.DROPPED,
    ],
    Stage.WITHDRAWN: [Stage.SUBMITTED, Stage.WITHDRAWN],
}

REASONS = {
    Stage.REJECTED: "Sản phẩm còn ở giai đoạn ý tưởng; mời nhóm nộp lại ở đợt sau khi có khách hàng thử nghiệm.",
    Stage.DROPPED: "Nhóm sáng lập tạm dừng dự án để tập trung vào công việc khác.",
    Stage.WITHDRAWN: "Nhóm đã nhận đầu tư và chuyển sang chương trình tăng tốc khác.",
    Stage.WAITLISTED: "Hồ sơ tốt nhưng đã đủ chỉ tiêu; sẽ xét nếu có suất trống.",
}

# (startup index, program key, final stage)
DEMO_APPLICATIONS = [
    (0, "biic_open", Stage.DRAFT),
    (2, "biic_open", Stage.SUBMITTED),
    (3, "biic_open", Stage.SCREENING),
    (6, "biic_open", Stage.WITHDRAWN),
    (4, "biic_past", Stage.INCUBATING),
    (5, "biic_past", Stage.GRADUATED),
    (9, "biic_past", Stage.REJECTED),
    (10, "biic_past", Stage.DEMO_DAY),
    (11, "biic_past", Stage.WAITLISTED),
    (0, "biic_past", Stage.ACCEPTED),
    (1, "smic_open", Stage.SCREENING),
    (8, "smic_open", Stage.SUBMITTED),
    (7, "smic_past", Stage.INCUBATING),
    (12, "smic_past", Stage.DROPPED),
    (1, "smic_past", Stage.GRADUATED),
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
}


def slug(text: str) -> str:
    """ASCII, lower case, words joined by dashes: "Nông Trại Số" -> "nong-trai-so"."""
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = plain.encode("ascii", "ignore").decode().lower()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text).split())


def minimal_pdf(title: str) -> bytes:
    """A one-page PDF, enough to stand for a demo pitch deck."""
    text = title.encode("latin-1", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 28 Tf 60 700 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 842 595] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


class _Demo:
    def __init__(self) -> None:
        self.session = db.session
        self.now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        self.password_hash = hash_password(DEMO_PASSWORD)
        self.centers = {c.code: c for c in self.session.scalars(select(Center))}
        self.users: dict[str, User] = {}

    def user(
        self, email: str, name: str, roles: tuple[Role, ...], center: str | None = None
    ) -> User:
        user = User(email=email, name=name, locale="vi", password_hash=self.password_hash)
        for role in roles:
            center_id = self.centers[center].id if role is Role.MANAGER and center else None
            user.grants.append(RoleGrant(role=role, center_id=center_id))
        self.session.add(user)
        self.users[email] = user
        return user

    def program(
        self, center: str, key: str, kind: ProgramKind, rubric: list, open_now: bool
    ) -> Program:
        names = {
            "biic_open": (
                "Chương trình Ươm tạo BIIC 2027 – Đợt 1",
                "BIIC Incubation Program 2027 – Intake 1",
            ),
            "biic_past": ("Chương trình Ươm tạo BIIC 2026", "BIIC Incubation Program 2026"),
            "smic_open": (
                "Tăng tốc Sản xuất thông minh SMIC 2027",
                "SMIC Smart Manufacturing Accelerator 2027",
            ),
            "smic_past": (
                "Tăng tốc Công nghiệp 4.0 SMIC 2026",
                "SMIC Industry 4.0 Accelerator 2026",
            ),
        }[key]
        if open_now:
            opens, closes = self.now - timedelta(days=20), self.now + timedelta(days=25, hours=9)
            starts = (self.now + timedelta(days=60)).date()
        else:
            opens, closes = self.now - timedelta(days=300), self.now - timedelta(days=240)
            starts = (self.now - timedelta(days=210)).date()
        program = Program(
            center_id=self.centers[center].id,
            name_vi=names[0],
            name_en=names[1],
            kind=kind,
            description_vi=(
                "Chương trình dành cho các dự án khởi nghiệp đổi mới sáng tạo tại Bình Dương: "
                "6 tháng ươm tạo với chuyên gia cố vấn, sử dụng Fablab, kết nối nhà đầu tư và "
                "Demo Day cuối khóa.\nHỗ trợ miễn phí chỗ làm việc tại Trung tâm."
            ),
            opens_at=opens,
            closes_at=closes,
            starts_on=starts,
            ends_on=starts + timedelta(days=180),
            capacity=8,
            status=ProgramStatus.PUBLISHED,
            created_by_id=None,
        )
        for position, (name, description, weight, max_score) in enumerate(rubric):
            program.criteria.append(
                RubricCriterion(
                    position=position,
                    name_vi=name,
                    description_vi=description,
                    weight=weight,
                    max_score=max_score,
                )
            )
        self.session.add(program)
        return program

    def startup(self, spec: tuple) -> Startup:
        name, sector, description, founded, trl, team, (email, person, title) = spec
        owner = self.users.get(email) or self.user(email, person, (Role.FOUNDER,))
        startup = Startup(
            name=name,
            sector=sector,
            description=description,
            founded_on=founded,
            website=f"https://{slug(name).replace('-', '')}.vn",
            trl=trl,
            team_size=team,
        )
        startup.members.append(StartupMember(user=owner, title=title))
        self.session.add(startup)
        return startup

    def application(
        self, startup: Startup, program: Program, final: Stage, manager: User
    ) -> Application:
        founder = startup.members[0].user
        started = program.opens_at + timedelta(days=2)
        application = Application(
            startup=startup,
            program=program,
            created_by_id=founder.id,
            created_at=started,
            updated_at=started,
            funding_need_vnd=1_500_000_000,
            **ANSWERS,
        )
        deck = minimal_pdf(f"{startup.name} - Pitch deck")
        stored = files.path_of(DECKS, f"demo-{secrets.token_hex(8)}.pdf")
        stored.write_bytes(deck)
        application.deck_file = stored.name
        application.deck_filename = f"pitch-deck-{slug(startup.name)}.pdf"
        application.deck_size = len(deck)
        application.deck_uploaded_at = started
        self.session.add(application)
        application.transitions.append(
            StageTransition(from_stage=None, to_stage=Stage.DRAFT, actor_id=founder.id, at=started)
        )
        stage, at = Stage.DRAFT, started
        for target in PATHS[final]:
            move = check(stage, target, {Capacity.FOUNDER, Capacity.MANAGER})
            at = at + timedelta(days=3)
            if target is Stage.SUBMITTED:
                at = min(at, program.closes_at - timedelta(days=1))
                application.submitted_at = at
            actor = founder if move.capacity is Capacity.FOUNDER else manager
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

    def reviews(
        self, application: Application, reviewers: list[User], manager: User, seed: int
    ) -> None:
        scored = application.stage not in (Stage.DRAFT, Stage.SUBMITTED, Stage.WITHDRAWN)
        if not scored:
            return
        for number, reviewer in enumerate(reviewers):
            pending = application.stage is Stage.SCREENING and number == 1
            review = Review(
                application=application,
                reviewer_id=reviewer.id,
                assigned_by_id=manager.id,
                assigned_at=application.submitted_at + timedelta(days=1),
                conflict=Conflict.PENDING if pending else Conflict.NONE,
            )
            self.session.add(review)
            if pending:
                continue
            review.declared_at = review.assigned_at + timedelta(hours=5)
            for index, criterion in enumerate(application.program.criteria):
                base = criterion.max_score * (
                    0.55 + 0.35 * (((seed + 1) * (index + 2) * (number + 3)) % 7) / 6
                )
                review.scores.append(
                    ReviewScore(
                        criterion=criterion,
                        score=min(criterion.max_score, round(base)),
                        comment="Điểm mạnh rõ ràng; cần làm rõ thêm số liệu khách hàng.",
                    )
                )
            review.submitted_at = review.declared_at + timedelta(days=1)
            review.updated_at = review.submitted_at


def load_demo() -> None:
    demo = _Demo()
    for email, name, roles, center in ACCOUNTS:
        demo.user(email, name, roles, center)
    programs = {
        "biic_open": demo.program("BIIC", "biic_open", ProgramKind.INCUBATION, RUBRIC_BIIC, True),
        "biic_past": demo.program("BIIC", "biic_past", ProgramKind.INCUBATION, RUBRIC_BIIC, False),
        "smic_open": demo.program("SMIC", "smic_open", ProgramKind.ACCELERATION, RUBRIC_SMIC, True),
        "smic_past": demo.program(
            "SMIC", "smic_past", ProgramKind.ACCELERATION, RUBRIC_SMIC, False
        ),
    }
    startups = [demo.startup(spec) for spec in STARTUPS]
    demo.session.flush()
    managers = {"BIIC": demo.users["manager@biic.test"], "SMIC": demo.users["manager@smic.test"]}
    reviewers = {
        "BIIC": [demo.users["mentor@biic.test"], demo.users["mentor2@biic.test"]],
        "SMIC": [demo.users["mentor@smic.test"], demo.users["mentor@biic.test"]],
    }
    for seed, (startup_index, key, final) in enumerate(DEMO_APPLICATIONS):
        program = programs[key]
        code = "BIIC" if key.startswith("biic") else "SMIC"
        application = demo.application(startups[startup_index], program, final, managers[code])
        demo.session.flush()
        demo.reviews(application, reviewers[code], managers[code], seed)
    demo.session.flush()
