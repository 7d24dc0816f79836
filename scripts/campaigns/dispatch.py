"""The command line of `./scripts/soak`: one sub-command per campaign, a table of figures, `--json`.

The exit code is the campaign's verdict: 1 when its figures show a broken promise (a lost or
duplicated package, a chain that does not verify, ...), else 0.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from campaigns import clock, diskfull, faults, kills, load, serving_models, streams, torn_tail
from campaigns.campaign import Campaign, Result

CAMPAIGNS: tuple[Campaign, ...] = (
    kills.CAMPAIGN,
    load.CAMPAIGN,
    faults.CAMPAIGN,
    diskfull.CAMPAIGN,
    clock.CAMPAIGN,
    torn_tail.CAMPAIGN,
    streams.CAMPAIGN,
    serving_models.CAMPAIGN,
)
# Lists shown by their length or first entries, not whole.
LONG_FIGURES = ("rss_samples", "problems", "lost_ids")


def parser(description: str) -> argparse.ArgumentParser:
    """The command's parser: a sub-command per campaign, each with its options and `--json`."""
    command = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawTextHelpFormatter
    )
    modes = command.add_subparsers(dest="mode", required=True)
    for campaign in CAMPAIGNS:
        sub = modes.add_parser(
            campaign.name,
            help=campaign.help,
            description=campaign.description,
            formatter_class=argparse.RawTextHelpFormatter,
        )
        campaign.add_arguments(sub)
        sub.add_argument("--json", type=Path)
    return command


def print_table(result: Result) -> None:
    for key, value in result.items():
        shown: Any = value
        if key in LONG_FIGURES:
            shown = f"{len(value)} entries" if key == "rss_samples" else value[:5] or "none"
        print(f"{key:36} {shown}")


def main(description: str) -> int:
    """Runs the campaign named on the command line; `description` is the command's help text."""
    options = parser(description).parse_args()
    campaign = next(c for c in CAMPAIGNS if c.name == options.mode)
    result = campaign.run(options)
    print_table(result)
    if options.json:
        options.json.write_text(json.dumps(result, indent=2))
    return 1 if campaign.failed(result) else 0
