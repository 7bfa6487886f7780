"""Applications: the pitch deck and the files that answer file questions, stored, read and
forgotten."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import (
    select,
)

from incubator import audit, files
from incubator.accounts.models import User
from incubator.applications.access import (
    application_by_id,
    may_read_deck,
)
from incubator.applications.drafts import (
    editable_by,
)
from incubator.applications.models import (
    Answer,
    Application,
)
from incubator.db import db, on_commit, on_rollback, utcnow
from incubator.errors import NotFound
from incubator.files import Upload
from incubator.questions.models import Kind, Question

DECKS = "pitch_decks"


ANSWER_FILES = "answer_files"


def forget_answer_files(question: Question) -> None:
    """Answers `signals.question_deleted`: the files of drafts' answers to it are removed
    from storage once the deletion commits (kept if it rolls back)."""
    names = db.session.scalars(
        select(Answer.file_name).where(
            Answer.question_id == question.id, Answer.file_name.is_not(None)
        )
    ).all()
    for name in names:
        on_commit(db.session, lambda name=name: files.delete(ANSWER_FILES, name))


def stored_files(_sender: Any = None) -> list[tuple[str, str]]:
    """Answers `signals.stored_files`: the decks and the answer files rows refer to."""
    decks = db.session.execute(
        select(Application.id, Application.deck_file).where(Application.deck_file.is_not(None))
    )
    found = [(files.key(DECKS, name), f"deck of application {id_}") for id_, name in decks]
    answers = db.session.execute(
        select(Answer.application_id, Answer.file_name).where(Answer.file_name.is_not(None))
    )
    found += [
        (files.key(ANSWER_FILES, name), f"answer file of application {id_}")
        for id_, name in answers
    ]
    return found


def readable_deck(user: Any, application_id: int) -> tuple[Application, str]:
    """(application, storage key) of its deck, for those who may read it (`storage.send`
    answers 404 when the file itself is lost)."""
    application = application_by_id(application_id)
    if not may_read_deck(user, application) or not application.deck_file:
        raise NotFound("deck")
    return application, files.key(DECKS, application.deck_file)


def upload_deck(actor: User, application: Application, deck: Upload) -> Application:
    """Replace the pitch deck; on its own, so that a refused file never costs typed answers."""
    editable_by(actor, application)
    stored = files.store_pdf(
        DECKS, deck.stream, deck.filename, current_app.config["PITCH_DECK_MAX_BYTES"], field="deck"
    )
    old = application.deck_file
    session = db.session
    on_rollback(session, lambda: files.delete(DECKS, stored.name))
    on_commit(session, lambda: files.delete(DECKS, old))
    application.deck_file = stored.name
    application.deck_filename = stored.original_name
    application.deck_size = stored.size
    application.deck_uploaded_at = application.updated_at = utcnow()
    audit.record(actor, "application.deck_uploaded", application)
    return application


def upload_answer_file(
    actor: User, application: Application, question: Question, upload: Upload
) -> Application:
    """The PDF a file question asks for; on its own form, like the deck."""
    editable_by(actor, application)
    if question.program_id != application.program_id or question.kind is not Kind.FILE:
        raise NotFound("question")
    stored = files.store_pdf(
        ANSWER_FILES,
        upload.stream,
        upload.filename,
        current_app.config["ANSWER_FILE_MAX_BYTES"],
        field="file",
    )
    session = db.session
    on_rollback(session, lambda: files.delete(ANSWER_FILES, stored.name))
    answer = next((a for a in application.answers if a.question_id == question.id), None)
    if answer is None:
        answer = Answer(question_id=question.id)
        application.answers.append(answer)
    old = answer.file_name
    on_commit(session, lambda: files.delete(ANSWER_FILES, old))
    answer.file_name = stored.name
    answer.value_text = stored.original_name
    answer.file_size = stored.size
    application.updated_at = utcnow()
    audit.record(actor, "application.file_uploaded", application, question=question.key)
    return application


def readable_answer_file(user: Any, application_id: int, question_id: int) -> tuple[str, str]:
    """(original name, storage key) of a file answer, for those who may read the deck."""
    application = application_by_id(application_id)
    answer = next((a for a in application.answers if a.question_id == question_id), None)
    if not may_read_deck(user, application) or answer is None or not answer.file_name:
        raise NotFound("file")
    return answer.value_text or "", files.key(ANSWER_FILES, answer.file_name)
