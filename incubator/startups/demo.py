"""Demo step: 13 startups of the region, each with its founder (made here if not an account yet)."""

from __future__ import annotations

from datetime import date

from incubator.accounts.demo import make_user
from incubator.accounts.models import Role
from incubator.demo import Demo, slug
from incubator.startups.models import Sector, Startup, StartupMember

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


def load(demo: Demo) -> None:
    for name, sector, description, founded, trl, team, (email, person, title) in STARTUPS:
        owner = demo.users.get(email) or make_user(demo, email, person, (Role.FOUNDER,))
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
        demo.session.add(startup)
        demo.startups[name] = startup
