"""A machine's optional photo: JPEG, PNG or WebP checked by content, at most the configured
size; replaced or removed with the machine's form; files follow the transaction (a refused
photo leaves neither a file nor any change to the machine)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from PIL import Image

from incubator import files
from incubator.accounts.models import User
from incubator.db import db, run
from incubator.errors import DomainError
from incubator.fablab.machines import PHOTOS, MachineData, machine_photo, save_machine
from incubator.fablab.models import Machine, MachineCategory
from incubator.storage import storage
from tests.fablab.fixtures import get


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 90, 20)).save(out, format=kind)
    return out.getvalue()


def _data(machine: Machine, photo: bytes | None = None, remove: bool = False) -> Any:
    return MachineData(
        name=machine.name,
        category=MachineCategory(machine.category),
        slot_minutes=machine.slot_minutes,
        min_minutes=machine.min_minutes,
        max_minutes=machine.max_minutes,
        photo=files.Upload(io.BytesIO(photo), "anh.png") if photo is not None else None,
        remove_photo=remove,
    )


def _stored(app: Flask) -> list[str]:
    prefix = PHOTOS + "/"
    return sorted(key.removeprefix(prefix) for key in storage(app).keys(prefix))


@pytest.mark.usefixtures("english")
def test_a_photo_is_stored_replaced_and_removed_and_a_refused_one_leaves_nothing(
    app: Flask, ctx: Any, make_machine: Any, manager_of: Any
) -> None:
    item = make_machine()
    manager = get(User, manager_of("BIIC").id)

    def save(**kwargs: Any) -> Machine:
        machine = get(Machine, item.id)
        return run(save_machine, manager, machine.lab, machine, _data(machine, **kwargs))

    for kind, extension in (("JPEG", ".jpg"), ("PNG", ".png"), ("WEBP", ".webp")):
        saved = save(photo=image_bytes(kind))
        assert saved.photo.endswith(extension)
        assert _stored(app) == [saved.photo]  # the one before is deleted once replaced
        key, mimetype = machine_photo(manager, item.id, saved.photo)
        with storage(app).open(key) as stored:
            assert stored.read(2) and mimetype == files.IMAGE_TYPES[extension]
    kept = get(Machine, item.id).photo
    refusals = {
        b"this is not an image": "not a JPEG, PNG or WebP photo",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64: "not a JPEG, PNG or WebP photo",  # a signature only
        image_bytes("GIF"): "not a JPEG, PNG or WebP photo",
        image_bytes("PNG")[:60]: "not a JPEG, PNG or WebP photo",  # cut short
        b"": "The file is empty.",
    }
    for content, message in refusals.items():
        machine = get(Machine, item.id)
        data = _data(machine, photo=content)
        data.description = "changed with a bad photo"
        with pytest.raises(DomainError) as refusal:
            run(save_machine, manager, machine.lab, machine, data)
        assert refusal.value.field == "photo" and message in refusal.value.message
        db.session.expire_all()
        assert get(Machine, item.id).photo == kept and get(Machine, item.id).description == ""
        assert _stored(app) == [kept]
    app.config["MACHINE_PHOTO_MAX_BYTES"] = 1024 * 1024
    with pytest.raises(DomainError, match="larger than 1 MB"):
        machine = get(Machine, item.id)
        run(
            save_machine,
            manager,
            machine.lab,
            machine,
            _data(machine, photo=image_bytes("PNG") + b"\x00" * 1024 * 1024),
        )
    assert _stored(app) == [kept]
    removed = save(remove=True)
    assert removed.photo is None and _stored(app) == []
    with pytest.raises(Exception, match="photo"):
        machine_photo(manager, item.id, kept)


def test_the_machine_form_uploads_and_pages_show_the_photo(
    app: Flask, make_lab: Any, manager_of: Any, make_founder: Any, login: Any
) -> None:
    lab = make_lab()
    client = login(manager_of("BIIC"))
    path = f"/fablab/labs/{lab.id}/machines/new"
    form = {
        "name": "Máy cắt CNC Shapeoko",
        "category": "cnc",
        "slot_minutes": "30",
        "min_minutes": "30",
        "max_minutes": "120",
    }
    bad = client.post(
        path,
        data={**form, "photo": (io.BytesIO(b"%PDF-1.4 not a photo"), "may.png")},
        content_type="multipart/form-data",
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "không phải ảnh JPEG, PNG hoặc WebP" in page
    assert 'value="Máy cắt CNC Shapeoko"' in page  # nothing typed is lost, only the file
    assert _stored(app) == []
    made = client.post(
        path,
        data={**form, "photo": (io.BytesIO(image_bytes("JPEG")), "may.jpg")},
        content_type="multipart/form-data",
    )
    assert made.status_code == 302, made.get_data(as_text=True)
    with app.app_context():
        machine = db.session.query(Machine).filter_by(name=form["name"]).one()
        photo_url = f"/fablab/machines/{machine.id}/photo/{machine.photo}"
    founder = login(make_founder().user)
    for shown in (f"/fablab/machines/{machine.id}", "/fablab/"):
        assert photo_url in founder.get(shown).get_data(as_text=True), shown
    with founder.get(photo_url) as served:  # a file response: closed, or a ResourceWarning
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert founder.get(f"/fablab/machines/{machine.id}/photo/other.jpg").status_code == 404
    edit = f"/fablab/machines/{machine.id}/edit"
    assert photo_url in client.get(edit).get_data(as_text=True)
    removed = client.post(edit, data={**form, "remove_photo": "y"})
    assert removed.status_code == 302
    assert founder.get(photo_url).status_code == 404 and _stored(app) == []
