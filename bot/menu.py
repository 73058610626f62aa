"""The command menu Telegram shows, in each of our languages (setMyCommands per language_code)."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand
from telegram.error import TelegramError

from surveys.commands import COMMAND_NAMES
from surveys.i18n import t
from surveys.settings import DEFAULT_LANGUAGE, LANGUAGES

log = logging.getLogger(__name__)


def commands_for(language: str) -> list[BotCommand]:
    return [
        BotCommand(name, t(language, f"commands.{command.value}")) for command, name in COMMAND_NAMES[language].items()
    ]


async def register_commands(bot: Bot) -> None:
    """One list per language plus the default list (bokmål) for clients in any other language."""
    try:
        for language in LANGUAGES:
            await bot.set_my_commands(commands_for(language), language_code=language)
        await bot.set_my_commands(commands_for(DEFAULT_LANGUAGE))
    except TelegramError as error:  # the menu is a convenience; the bot works without it
        log.warning("could not set the command menu: %s", type(error).__name__)
