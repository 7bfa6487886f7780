"""The form's block on the manager's program page."""

from __future__ import annotations

from typing import Any

from incubator.questions.services import form_in_use, form_of


def program_form(_user: Any, program: Any) -> dict[str, Any]:
    form = form_of(program)
    return {
        "program": program,
        "sections": form.sections,
        "count": len(form.questions),
        "locked": form_in_use(program),
    }
