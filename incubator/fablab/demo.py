"""Demo fablab: a Fablab at BIIC and a Techlab at SMIC with their opening hours (this year's
public holidays come from the `holidays` library), eight machines, certificates for the demo
founders (one expired), a few weeks of past and future bookings, a machine under maintenance.

Bookings go through `book` with a back-dated "now", so that every rule and the
stored figures hold exactly as if the founders had booked them; past bookings are then
checked in or left to become no-shows, through the same functions the lab's staff and the
scheduled job use.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from incubator.accounts.models import User
from incubator.demo import Demo
from incubator.fablab.bookings import BookingData, book
from incubator.fablab.common import at_local, local_day, monday_of
from incubator.fablab.labs import day_info
from incubator.fablab.models import (
    Certificate,
    Lab,
    LabDay,
    Machine,
    MachineCategory,
    MachineStatus,
    MaintenanceBlock,
    OpeningHours,
)
from incubator.fablab.noshows import check_in, mark_no_shows

WEEKDAY_HOURS = (time(8), time(17))
SATURDAY_HOURS = (time(8), time(12))

LABS = {
    "BIIC": (
        "Fablab BIIC",
        "Tầng 1, Trung tâm ĐMST Bình Dương, Thủ Dầu Một",
        "Xưởng chế tạo mẫu cho các dự án khởi nghiệp đang ươm tạo: in 3D, cắt laser, điện tử.",
    ),
    "SMIC": (
        "Techlab SMIC",
        "Khu công nghệ, Trung tâm ĐMST Công nghiệp 4.0, Thuận An",
        "Phòng thí nghiệm sản xuất thông minh: CNC, phay mạch in, in 3D chính xác.",
    ),
}
# center, name, category, training required, slot, min, max, description
MACHINES = [
    (
        "BIIC",
        "Máy in 3D Prusa MK4",
        MachineCategory.PRINTER_3D,
        True,
        30,
        60,
        240,
        "In FDM, khổ 250 × 210 × 220 mm, nhựa PLA, PETG.",
    ),
    (
        "BIIC",
        "Máy in 3D Bambu Lab X1",
        MachineCategory.PRINTER_3D,
        False,
        30,
        30,
        180,
        "In nhiều màu, phù hợp mẫu trưng bày.",
    ),
    (
        "BIIC",
        "Máy cắt laser CO2 60W",
        MachineCategory.LASER_CUTTER,
        True,
        30,
        30,
        120,
        "Cắt và khắc gỗ, mica, vải; khổ 600 × 400 mm.",
    ),
    (
        "BIIC",
        "Bàn điện tử số 1",
        MachineCategory.ELECTRONICS_BENCH,
        False,
        60,
        60,
        240,
        "Máy hàn, máy hiện sóng, nguồn lập trình.",
    ),
    (
        "SMIC",
        "Máy CNC 3 trục",
        MachineCategory.CNC,
        True,
        60,
        60,
        240,
        "Gia công nhôm, gỗ, nhựa kỹ thuật.",
    ),
    (
        "SMIC",
        "Máy phay mạch in LPKF",
        MachineCategory.PCB_MILL,
        True,
        30,
        30,
        180,
        "Phay mạch in hai lớp cho mẫu thử IoT.",
    ),
    (
        "SMIC",
        "Máy in 3D SLA Formlabs",
        MachineCategory.PRINTER_3D,
        True,
        30,
        60,
        240,
        "In nhựa resin độ chính xác cao.",
    ),
    (
        "SMIC",
        "Bàn điện tử IoT",
        MachineCategory.ELECTRONICS_BENCH,
        False,
        60,
        60,
        240,
        "Bộ kit cảm biến, vi điều khiển, máy đo.",
    ),
]
MANAGERS = {"BIIC": "manager@biic.test", "SMIC": "manager@smic.test"}
# founder email -> startup name (in incubation in the demo)
FOUNDERS = {
    "pham.quoc.bao@demo.test": "MediCare Thủ Dầu Một",
    "tran.van.hung@demo.test": "Năng Lượng Xanh BD",
}


def load(demo: Demo) -> None:
    session = demo.session
    labs = {}
    for code, (name, location, description) in LABS.items():
        lab = Lab(
            center_id=demo.centers[code].id, name=name, location=location, description=description
        )
        lab.hours = [
            OpeningHours(weekday=d, opens=WEEKDAY_HOURS[0], closes=WEEKDAY_HOURS[1])
            for d in range(5)
        ]
        lab.hours.append(OpeningHours(weekday=5, opens=SATURDAY_HOURS[0], closes=SATURDAY_HOURS[1]))
        session.add(lab)
        labs[code] = lab
    session.flush()
    machines = {}
    for code, name, category, training, slot, shortest, longest, text in MACHINES:
        machine = Machine(
            lab_id=labs[code].id,
            name=name,
            category=category,
            training_required=training,
            slot_minutes=slot,
            min_minutes=shortest,
            max_minutes=longest,
            description=text,
        )
        session.add(machine)
        machines[name] = machine
    session.flush()
    today = local_day(demo.now)
    _closed_saturday(demo, labs["BIIC"], today)
    bao, hung = (demo.users[email] for email in FOUNDERS)
    _certificates(demo, machines, bao, hung, today)
    _bookings(demo, machines, today)
    cnc = machines["Máy CNC 3 trục"]
    cnc.status = MachineStatus.MAINTENANCE
    cnc.status_reason = "Thay trục chính, dự kiến xong sau hai tuần."
    pcb = machines["Máy phay mạch in LPKF"]
    day = _open_day(labs["SMIC"], monday_of(today) + timedelta(days=10))
    session.add(
        MaintenanceBlock(
            machine_id=pcb.id,
            starts_at=at_local(day, time(13)),
            ends_at=at_local(day, time(17)),
            reason="Bảo dưỡng định kỳ, thay mũi phay.",
            created_by_id=demo.users[MANAGERS["SMIC"]].id,
        )
    )
    session.flush()


def _closed_saturday(demo: Demo, lab: Lab, today: date) -> None:
    saturday = monday_of(today) + timedelta(days=19)
    demo.session.add(
        LabDay(
            lab_id=lab.id,
            day=saturday,
            open=False,
            note="Kiểm kê thiết bị cuối năm.",
            decided_by_id=demo.users[MANAGERS["BIIC"]].id,
        )
    )


def _certificates(
    demo: Demo, machines: dict[str, Machine], bao: User, hung: User, today: date
) -> None:
    biic = demo.users[MANAGERS["BIIC"]].id
    smic = demo.users[MANAGERS["SMIC"]].id
    year = today + timedelta(days=365)
    demo.session.add_all(
        [
            # Bảo prints in 3D anywhere (trained at each center); he has no laser-cutter
            # training (the journey's refusal)
            *(
                Certificate(
                    user_id=bao.id,
                    category=MachineCategory.PRINTER_3D,
                    center_id=demo.centers[code].id,
                    expires_on=year,
                    granted_by_id=demo.users[MANAGERS[code]].id,
                    granted_at=demo.now - timedelta(days=60),
                )
                for code in ("BIIC", "SMIC")
            ),
            Certificate(
                user_id=hung.id,
                machine_id=machines["Máy in 3D Prusa MK4"].id,
                expires_on=today + timedelta(days=10),
                granted_by_id=biic,
                granted_at=demo.now - timedelta(days=355),
            ),
            Certificate(
                user_id=hung.id,
                machine_id=machines["Máy phay mạch in LPKF"].id,
                expires_on=year,
                granted_by_id=smic,
                granted_at=demo.now - timedelta(days=30),
            ),
            # expired: Hùng may no longer book the laser cutter
            Certificate(
                user_id=hung.id,
                category=MachineCategory.LASER_CUTTER,
                center_id=demo.centers["BIIC"].id,
                expires_on=today - timedelta(days=20),
                granted_by_id=biic,
                granted_at=demo.now - timedelta(days=385),
            ),
        ]
    )
    demo.session.flush()


def _open_day(lab: Lab, day: date) -> date:
    """`day`, or the next day the lab opens."""
    while not day_info(lab, day).open:
        day += timedelta(days=1)
    return day


# founder, machine, weeks from this week's Monday, weekday, start hour, minutes, purpose
BOOKINGS = [
    (
        "pham.quoc.bao@demo.test",
        "Máy in 3D Prusa MK4",
        -3,
        1,
        9,
        120,
        "Vỏ hộp máy đo huyết áp, PETG",
    ),
    (
        "pham.quoc.bao@demo.test",
        "Máy in 3D Bambu Lab X1",
        -2,
        2,
        14,
        90,
        "Mẫu trưng bày cho nhà đầu tư",
    ),
    (
        "tran.van.hung@demo.test",
        "Máy phay mạch in LPKF",
        -2,
        3,
        9,
        120,
        "Mạch điều khiển inverter v2",
    ),
    ("pham.quoc.bao@demo.test", "Bàn điện tử số 1", -1, 0, 13, 180, "Hàn và đo mạch cảm biến"),
    ("tran.van.hung@demo.test", "Máy in 3D Prusa MK4", -1, 3, 10, 60, "Giá đỡ tấm pin thử nghiệm"),
    ("tran.van.hung@demo.test", "Bàn điện tử IoT", -1, 4, 8, 120, "Kiểm tra bộ đo công suất"),
    ("tran.van.hung@demo.test", "Máy in 3D Prusa MK4", 1, 2, 9, 120, "Vỏ bộ điều khiển sạc"),
    ("pham.quoc.bao@demo.test", "Máy in 3D Bambu Lab X1", 1, 3, 14, 120, "Mẫu vỏ thiết bị đeo tay"),
    ("tran.van.hung@demo.test", "Máy phay mạch in LPKF", 1, 1, 9, 90, "Mạch đo dòng điện"),
    ("pham.quoc.bao@demo.test", "Bàn điện tử số 1", 2, 0, 9, 120, "Lắp ráp mẫu thử số 3"),
]


def _bookings(demo: Demo, machines: dict[str, Machine], today: date) -> None:
    monday = monday_of(today)
    made = []
    for email, name, weeks, weekday, hour, minutes, purpose in BOOKINGS:
        machine = machines[name]
        day = _open_day(machine.lab, monday + timedelta(weeks=weeks, days=weekday))
        starts = at_local(day, time(hour))
        user = demo.users[email]
        data = BookingData(
            starts_at=starts,
            minutes=minutes,
            purpose=purpose,
            startup_id=demo.startups[FOUNDERS[email]].id,
        )
        # booked a week before, as the founder would have
        made.append(book(user, machine, data, now=min(demo.now, starts) - timedelta(days=7)))
    staff = {code: demo.users[email] for code, email in MANAGERS.items()}
    for number, booking in enumerate(made):
        if booking.ends_at <= demo.now and number % 3 != 1:  # every third one missed
            check_in(staff[booking.machine.lab.center.code], booking, now=booking.starts_at)
    mark_no_shows(demo.now)
