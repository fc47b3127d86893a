"""R5 Schedule D's line numbers (2025 layout of the form), where each report amount goes.

Source: Schedule D (Form 1040) 2025 and its instructions. Part I (short-term): line 1a is totals
reported on a 1099 with basis and no adjustments, which gainlog never uses (every row goes on Form
8949); lines 1b, 2 and 3 hold the totals of Form 8949 boxes A/G, B/H and C/I; line 6 the
short-term carryover in; line 7 the net short-term gain or loss. Part II (long-term) likewise: 8a
unused, 8b, 9 and 10 for boxes D/J, E/K and F/L, line 14 the carryover in, line 15 the net. Part
III: line 16 = line 7 + line 15; line 21 the capital loss deducted (`netting.loss_limit`).

Example: the totals of box I (crypto, no 1099, short-term) are on line 3; of box J on line 8b.

Reports no problems.
"""

from __future__ import annotations

from .form_box import Box

# The line that holds the totals of each Form 8949 box.
BOX_TO_LINE: dict[Box, str] = {"A": "1b", "G": "1b", "B": "2", "H": "2", "C": "3", "I": "3",
                               "D": "8b", "J": "8b", "E": "9", "K": "9", "F": "10", "L": "10"}
SHORT_UNUSED = "1a"  # 1099 totals with basis reported and no adjustments: not used
SHORT_CARRYOVER = "6"  # short-term capital loss carryover
NET_SHORT = "7"  # net short-term gain or (loss)
LONG_UNUSED = "8a"
LONG_CARRYOVER = "14"  # long-term capital loss carryover
NET_LONG = "15"  # net long-term gain or (loss)
NET = "16"  # line 7 + line 15
DEDUCTION = "21"  # the capital loss deducted (a line 16 loss, at most netting.loss_limit)
