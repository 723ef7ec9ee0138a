"""The stages of the admission pipeline and the lists they fall into (DESIGN.md §3).

The one home of every stage list: models, the pipeline's rules, filters, reports, forms and
templates import them from here; none writes its own. This module imports nothing from the
app, so models can import it.

    source ─► training ─► trained ─► dossier ─► proposed ─► admitted ─► recognised
       └──────────┴──────────┴─────────┴──────────┴─► withdrawn        └─► dropped_out / struck_off
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    SOURCE = "source", _("Source")
    TRAINING = "training", _("In training")
    TRAINED = "trained", _("Trained")
    DOSSIER = "dossier", _("Dossier")
    PROPOSED = "proposed", _("Proposed")
    ADMITTED = "admitted", _("Admitted (probationary)")
    RECOGNISED = "recognised", _("Recognised (official)")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    DROPPED_OUT = "dropped_out", _("Dropped out")
    STRUCK_OFF = "struck_off", _("Struck off")


# The forward path; its order is the order of the funnel.
PIPELINE = [
    Stage.SOURCE,
    Stage.TRAINING,
    Stage.TRAINED,
    Stage.DOSSIER,
    Stage.PROPOSED,
    Stage.ADMITTED,
    Stage.RECOGNISED,
]
# Every stage in the order lists sort by: the pipeline, then the ways out.
ORDER = [*PIPELINE, Stage.WITHDRAWN, Stage.DROPPED_OUT, Stage.STRUCK_OFF]
# On the way to admission: the source pipeline of a unit.
ACTIVE = PIPELINE[: PIPELINE.index(Stage.ADMITTED)]
# A candidate in one of these was admitted; the quota year is the year of the decision.
ADMITTED = [Stage.ADMITTED, Stage.RECOGNISED, Stage.DROPPED_OUT, Stage.STRUCK_OFF]
# Left the party after admission: counts in retention figures, and never admitted again.
LEFT = [Stage.DROPPED_OUT, Stage.STRUCK_OFF]
# Could be admitted within a year: the candidates a planned quota draws on.
LATE = [Stage.TRAINED, Stage.DOSSIER, Stage.PROPOSED]
# The cell has voted: from here on the admission counts where it happened.
VOTED = [Stage.PROPOSED, *ADMITTED]
# Not yet trained: a new enrolment in a class is for these.
ENROLLABLE = [Stage.SOURCE, Stage.TRAINING]
# Has not moved on with a class pass: the pass may still be taken back.
BEFORE_TRAINED = [Stage.SOURCE, Stage.TRAINING, Stage.WITHDRAWN]

# A statutory deadline may run in these (``pipeline.deadlines``, kept on the candidate).
WITH_DEADLINES = [Stage.DOSSIER, Stage.PROPOSED, Stage.ADMITTED]

# The steps whose rules read who the candidate is (age, the Youth Union route): the
# application and the two decisions on it.
CHECK_THE_PERSON = [Stage.DOSSIER, Stage.PROPOSED, Stage.ADMITTED]
# The steps that check the cell's vote and what it voted on; admission checks them again.
CHECK_THE_VOTE = [Stage.PROPOSED, Stage.ADMITTED]

# The next step forward from each stage.
FORWARD: dict[str, str] = dict(zip(PIPELINE, PIPELINE[1:], strict=False))
# Leaving the pipeline, and the stages one may leave from.
EXITS: dict[str, list[str]] = {
    Stage.WITHDRAWN: list(ACTIVE),
    Stage.DROPPED_OUT: [Stage.ADMITTED, Stage.RECOGNISED],
    Stage.STRUCK_OFF: [Stage.ADMITTED, Stage.RECOGNISED],
}

# The Bootstrap colour of each stage's badge.
COLOURS: dict[str, str] = {
    Stage.SOURCE: "secondary",
    Stage.TRAINING: "info",
    Stage.TRAINED: "primary",
    Stage.DOSSIER: "warning",
    Stage.PROPOSED: "warning",
    Stage.ADMITTED: "success",
    Stage.RECOGNISED: "success",
    Stage.WITHDRAWN: "light",
    Stage.DROPPED_OUT: "dark",
    Stage.STRUCK_OFF: "dark",
}

# Nothing left to do in a unit: a reorganisation leaves these candidates where they were.
SETTLED = [Stage.RECOGNISED, Stage.WITHDRAWN, Stage.DROPPED_OUT, Stage.STRUCK_OFF]
