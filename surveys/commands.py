"""Command words in the four languages, shared by every channel so /hjelp, /hjalp and /help mean the same."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    start = "start"
    help = "help"
    cancel = "cancel"
    language = "language"
    mydata = "mydata"
    stop = "stop"  # no more messages about what was done with the answers
    delete = "delete"


# The names each language shows in its command menu (Telegram allows only a-z, 0-9 and _).
COMMAND_NAMES: dict[str, dict[Command, str]] = {
    "nb": {
        Command.start: "start",
        Command.help: "hjelp",
        Command.cancel: "avbryt",
        Command.language: "sprak",
        Command.mydata: "mine_data",
        Command.stop: "stopp",
        Command.delete: "slett",
    },
    "nn": {
        Command.start: "start",
        Command.help: "hjelp",
        Command.cancel: "avbryt",
        Command.language: "sprak",
        Command.mydata: "mine_data",
        Command.stop: "stopp",
        Command.delete: "slett",
    },
    "sv": {
        Command.start: "start",
        Command.help: "hjalp",
        Command.cancel: "avbryt",
        Command.language: "sprak",
        Command.mydata: "mina_data",
        Command.stop: "stopp",
        Command.delete: "radera",
    },
    "en": {
        Command.start: "start",
        Command.help: "help",
        Command.cancel: "cancel",
        Command.language: "language",
        Command.mydata: "mydata",
        Command.stop: "stop",
        Command.delete: "delete",
    },
}

_ALIASES: dict[str, Command] = {name: command for names in COMMAND_NAMES.values() for command, name in names.items()}
_ALIASES.update(
    {
        "hjälp": Command.help,
        "språk": Command.language,
        "språg": Command.language,
        "stoppa": Command.stop,
        "mine_data": Command.mydata,
        "minedata": Command.mydata,
        "mina_uppgifter": Command.mydata,
        "slette": Command.delete,
        "radere": Command.delete,
    }
)


def parse_command(text: str) -> tuple[Command, str | None] | None:
    """Recognise "/cmd", "/cmd@botname" and "/cmd argument"; anything else is not a command."""
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None
    head, _, rest = stripped[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    command = _ALIASES.get(name)
    if command is None:
        return None
    argument = rest.strip() or None
    return command, argument
