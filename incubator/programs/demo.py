"""Demo step: an open and a past program per center, each with its rubric."""

from __future__ import annotations

from datetime import timedelta

from incubator.demo import Demo
from incubator.programs.models import Program, ProgramKind, ProgramStatus, RubricCriterion

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

# key: center, kind, rubric, open now, (name in Vietnamese, in English)
PROGRAMS = {
    "biic_open": (
        "BIIC",
        ProgramKind.INCUBATION,
        RUBRIC_BIIC,
        True,
        ("Chương trình Ươm tạo BIIC 2027 – Đợt 1", "BIIC Incubation Program 2027 – Intake 1"),
    ),
    "biic_past": (
        "BIIC",
        ProgramKind.INCUBATION,
        RUBRIC_BIIC,
        False,
        ("Chương trình Ươm tạo BIIC 2026", "BIIC Incubation Program 2026"),
    ),
    "smic_open": (
        "SMIC",
        ProgramKind.ACCELERATION,
        RUBRIC_SMIC,
        True,
        ("Tăng tốc Sản xuất thông minh SMIC 2027", "SMIC Smart Manufacturing Accelerator 2027"),
    ),
    "smic_past": (
        "SMIC",
        ProgramKind.ACCELERATION,
        RUBRIC_SMIC,
        False,
        ("Tăng tốc Công nghiệp 4.0 SMIC 2026", "SMIC Industry 4.0 Accelerator 2026"),
    ),
}


def load(demo: Demo) -> None:
    for key, (center, kind, rubric, open_now, names) in PROGRAMS.items():
        demo.programs[key] = program(demo, center, kind, rubric, open_now, names)


def program(
    demo: Demo,
    center: str,
    kind: ProgramKind,
    rubric: list[tuple[str, str, int, int]],
    open_now: bool,
    names: tuple[str, str],
) -> Program:
    now = demo.now
    if open_now:
        opens, closes = now - timedelta(days=20), now + timedelta(days=25, hours=9)
        starts = (now + timedelta(days=60)).date()
    else:
        opens, closes = now - timedelta(days=300), now - timedelta(days=240)
        starts = (now - timedelta(days=210)).date()
    program = Program(
        center=demo.centers[center],
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
    demo.session.add(program)
    return program
