"""Demo step: the BIIC calls keep the default form; the open SMIC call asks about
manufacturing, with a question that shows only for startups that have a factory partner."""

from __future__ import annotations

from incubator.demo import Demo
from incubator.questions.library import DEFAULT_FORM, LIBRARY_BY_KEY
from incubator.questions.services import add_templates, form_of

# the default form with the library's manufacturing needs before the team
MANUFACTURING_FORM = (*DEFAULT_FORM[:2], LIBRARY_BY_KEY["manufacturing"], *DEFAULT_FORM[2:])


def load(demo: Demo) -> None:
    program = demo.programs["smic_open"]
    for section in form_of(program).sections:
        demo.session.delete(section)
    demo.session.flush()
    add_templates(demo.session, program, MANUFACTURING_FORM)
