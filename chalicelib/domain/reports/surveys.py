"""Customer satisfaction (CSAT, 1 to 5) and Net Promoter Score (NPS, 0 to 10): research 1.5 [N5]-[N9].

- CSAT is the share of answers rated 4 or 5 among the answers (not the mean rating, which hides a split), shown
  with its response rate: answers / surveys sent (Chatwoot's `total_sent_messages_count`: research 1.3 [W5]).
- NPS is the share of promoters (9-10) minus the share of detractors (0-6), from -100 to +100; passives (7-8)
  count in the whole only.
A figure's day is the answer's day (M1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chalicelib.domain.end_survey import CSAT_SCALE, NPS_SCALE
from chalicelib.domain.reports.definitions import Ratio

SATISFIED = frozenset({4, 5})
PROMOTERS = frozenset({9, 10})
DETRACTORS = frozenset(range(0, 7))


def _checked(scores: Iterable[int], scale: range, name: str) -> list[int]:
    found = list(scores)
    for score in found:
        if isinstance(score, bool) or not isinstance(score, int) or score not in scale:
            raise ValueError(f"a {name} score is an integer from {scale.start} to {scale.stop - 1}, got {score!r}")
    return found


@dataclass(frozen=True)
class Csat:
    answers: int
    satisfied: int  # rated 4 or 5
    sent: int  # surveys sent (the response rate's whole)

    @property
    def score(self) -> Ratio:
        """Satisfied answers over answers; `percent` is the CSAT shown."""
        return Ratio(self.satisfied, self.answers)

    @property
    def response_rate(self) -> Ratio:
        return Ratio(self.answers, self.sent)


def csat(scores: Iterable[int], surveys_sent: int) -> Csat:
    """CSAT of the answers `scores` (1 to 5) given to `surveys_sent` surveys."""
    found = _checked(scores, CSAT_SCALE, "CSAT")
    if surveys_sent < len(found):
        raise ValueError("more answers than surveys sent")
    return Csat(len(found), sum(1 for s in found if s in SATISFIED), surveys_sent)


@dataclass(frozen=True)
class Nps:
    answers: int
    promoters: int
    passives: int
    detractors: int

    @property
    def score(self) -> float | None:
        """%promoters - %detractors, from -100 to +100; None without answers."""
        if not self.answers:
            return None
        return 100 * (self.promoters - self.detractors) / self.answers


def nps(scores: Iterable[int]) -> Nps:
    """NPS of the answers `scores` (0 to 10)."""
    found = _checked(scores, NPS_SCALE, "NPS")
    promoters = sum(1 for s in found if s in PROMOTERS)
    detractors = sum(1 for s in found if s in DETRACTORS)
    return Nps(len(found), promoters, len(found) - promoters - detractors, detractors)
