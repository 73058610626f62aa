"""The channel-independent conversation engine.

A channel turns what a person did into an `Incoming` and sends the `Reply`'s messages back. Each call runs in one
transaction that holds the respondent's lock: the answer, the conversation state and the processed-update key are
committed together before the reply is returned, so any process can take the next message and a crash loses
nothing that was acknowledged.

    core.py      the transaction and the routing          steps.py     the table of steps
    commands.py  the table of commands                    kinds.py     the table of question kinds
    flow.py      the moves the steps and commands share   turn.py      one message's state, reads and writes
    pending.py   /avbryt, confirmations, the erasure      store.py     the turn's SQL (Core statements built once)
    payloads.py  a button's meaning, encoded and decoded  words.py     typed words that mean yes, no, a language
"""

from surveys.engine.core import MAX_ANSWER_CHARS, ConversationEngine
from surveys.engine.flow import Pending, Step, channel_permission
from surveys.engine.kinds import KINDS, QuestionKindSpec
from surveys.engine.payloads import Payload
from surveys.engine.steps import STEPS, SUMMARY_ANSWER_CHARS, StepSpec

__all__ = [
    "KINDS",
    "MAX_ANSWER_CHARS",
    "STEPS",
    "SUMMARY_ANSWER_CHARS",
    "ConversationEngine",
    "Payload",
    "Pending",
    "QuestionKindSpec",
    "Step",
    "StepSpec",
    "channel_permission",
]
