"""The citizen's visit summary: one printable page, in the citizen's language, with no biometrics."""

from kitd.summary.content import SummaryContent, summary_of
from kitd.summary.page import summary_page

__all__ = ["SummaryContent", "summary_of", "summary_page"]
