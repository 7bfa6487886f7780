"""Ready-made parts of a form, as data in both languages: the default form every new call
starts with (today's six answers), and the library of sections a manager can add."""

from __future__ import annotations

from dataclasses import dataclass, field

from incubator.questions.models import Kind


@dataclass(frozen=True)
class QuestionTemplate:
    key: str
    kind: Kind
    label_vi: str
    label_en: str
    help_vi: str = ""
    help_en: str = ""
    required: bool = True
    max_length: int | None = None
    choices: tuple[tuple[str, str, str], ...] = ()  # (value, Vietnamese, English)
    condition: tuple[str, str] | None = None  # (key of an earlier question, value)


@dataclass(frozen=True)
class SectionTemplate:
    key: str
    title_vi: str
    title_en: str
    questions: tuple[QuestionTemplate, ...] = field(default_factory=tuple)


def _long(key: str, vi: str, en: str, help_vi: str, help_en: str, **kw: object) -> QuestionTemplate:
    return QuestionTemplate(key, Kind.LONG_TEXT, vi, en, help_vi, help_en, max_length=5000, **kw)  # type: ignore[arg-type]


PROBLEM = _long(
    "problem",
    "Vấn đề",
    "Problem",
    "Bạn giải quyết vấn đề gì, và cho ai?",
    "Which problem do you solve, and for whom?",
)
SOLUTION = _long(
    "solution",
    "Giải pháp",
    "Solution",
    "Sản phẩm hoặc dịch vụ của bạn, và điểm vượt trội so với các giải pháp hiện có.",
    "Your product or service, and what makes it better than what exists.",
)
MARKET = _long(
    "market",
    "Thị trường",
    "Market",
    "Ai là người trả tiền, quy mô bao nhiêu và bạn tiếp cận họ bằng cách nào.",
    "Who pays, how many of them, and how you reach them.",
)
TRACTION = _long(
    "traction",
    "Kết quả đạt được",
    "Traction",
    "Khách hàng, doanh thu, dự án thí điểm hoặc đối tác đã có đến nay.",
    "Customers, revenue, pilots or partnerships so far.",
)
TEAM = _long(
    "team",
    "Đội ngũ",
    "Team",
    "Ai đảm nhận việc gì, và vì sao đội ngũ này có thể thực hiện thành công.",
    "Who does what, and why this team can make it happen.",
)
FUNDING_NEED = QuestionTemplate(
    "funding_need_vnd",
    Kind.MONEY,
    "Nhu cầu vốn (VND)",
    "Funding need (VND)",
    "Số vốn bạn cần huy động trong 12 tháng tới, tính bằng VND.",
    "How much funding you look for in the next 12 months, in VND.",
)

# Every new call starts with this form: the six answers every call asked before forms existed
# (migration 0009 gives it to the calls made before, with their answers).
DEFAULT_FORM = (
    SectionTemplate("project", "Dự án", "Project", (PROBLEM, SOLUTION)),
    SectionTemplate("market", "Thị trường và kết quả", "Market and traction", (MARKET, TRACTION)),
    SectionTemplate("team", "Đội ngũ", "Team", (TEAM,)),
    SectionTemplate("funding", "Nhu cầu vốn", "Funding", (FUNDING_NEED,)),
)

YES = "yes"

LIBRARY = (
    SectionTemplate(
        "team",
        "Đội ngũ",
        "Team",
        (
            TEAM,
            QuestionTemplate("team_size", Kind.NUMBER, "Số thành viên", "Team size"),
            QuestionTemplate(
                "full_time",
                Kind.YES_NO,
                "Các nhà sáng lập làm toàn thời gian cho dự án?",
                "Do the founders work full time on the project?",
            ),
        ),
    ),
    SectionTemplate("market", "Thị trường", "Market", (MARKET,)),
    SectionTemplate("traction", "Kết quả đạt được", "Traction", (TRACTION,)),
    SectionTemplate(
        "funding",
        "Nhu cầu vốn",
        "Funding",
        (
            FUNDING_NEED,
            QuestionTemplate(
                "raised_before",
                Kind.YES_NO,
                "Dự án đã từng gọi vốn?",
                "Has the project raised funding before?",
            ),
            QuestionTemplate(
                "investors",
                Kind.LONG_TEXT,
                "Nhà đầu tư và số vốn đã gọi",
                "Investors and amounts raised",
                max_length=2000,
                condition=("raised_before", YES),
            ),
        ),
    ),
    SectionTemplate(
        "ip",
        "Sở hữu trí tuệ",
        "Intellectual property",
        (
            QuestionTemplate(
                "ip_status",
                Kind.SINGLE_CHOICE,
                "Tình trạng sở hữu trí tuệ",
                "Intellectual property status",
                choices=(
                    ("none", "Chưa có", "None yet"),
                    ("filed", "Đã nộp đơn đăng ký", "Filed"),
                    ("granted", "Đã được cấp bằng", "Granted"),
                ),
            ),
            QuestionTemplate(
                "ip_details",
                Kind.LONG_TEXT,
                "Số đơn, số bằng, phạm vi bảo hộ",
                "Application or patent numbers, scope of protection",
                max_length=2000,
                condition=("ip_status", "granted"),
            ),
        ),
    ),
    SectionTemplate(
        "manufacturing",
        "Nhu cầu sản xuất",
        "Manufacturing needs",
        (
            QuestionTemplate(
                "machines",
                Kind.MULTIPLE_CHOICE,
                "Thiết bị cần sử dụng tại Fablab",
                "Machines you need at the Fablab",
                required=False,
                choices=(
                    ("cnc", "Máy CNC", "CNC machine"),
                    ("printer_3d", "Máy in 3D", "3D printer"),
                    ("laser", "Máy cắt laser", "Laser cutter"),
                    ("smt", "Dây chuyền SMT", "SMT line"),
                    ("molding", "Máy ép nhựa", "Injection moulding"),
                ),
            ),
            QuestionTemplate(
                "factory_partner",
                Kind.YES_NO,
                "Bạn đã có nhà máy đối tác?",
                "Do you have a factory partner?",
            ),
            QuestionTemplate(
                "factory_partners",
                Kind.LONG_TEXT,
                "Nhà máy đối tác và vai trò của họ",
                "Your factory partners and their role",
                max_length=2000,
                condition=("factory_partner", YES),
            ),
        ),
    ),
)

LIBRARY_BY_KEY = {section.key: section for section in LIBRARY}
