"""The conversation as one table: each step names its prompt, the buttons it shows and the one handler for what
the person does at that step (a button press or typed text).

    welcome ........ the /start command (`flow.start`) opens a conversation at `language` or `consent`
    language ....... choose the language, when the campaign offers several and the client's is not the main one
    consent ........ the welcome, the privacy text and "do you want to answer?"
    question ....... the current question (the first and each extra one); its kind (kinds.KINDS) says how
    more ........... the follow-up of a repeating question: "anything more?"
    summary ........ all answers, send or change
    edit_pick ...... change: which answer
    edit_text ...... change: the new text
    done ........... thanks; a completed conversation offers "add more"
    notify ......... after the thanks, on channels that can write later: "tell me what you did?" (yes/no)
    commands ....... `commands.COMMANDS`, at any step
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from surveys.engine import flow
from surveys.engine.flow import Step
from surveys.engine.kinds import KINDS, kind_of
from surveys.engine.payloads import Payload
from surveys.engine.turn import Turn
from surveys.engine.words import NO, NO_MORE, YES, language_from_words, norm
from surveys.i18n import catalogue, pick, t
from surveys.messages import Button

SUMMARY_ANSWER_CHARS = 400


@dataclass(frozen=True)
class Said:
    """What the person did at a step: pressed a button (`button`) or typed `text`."""

    text: str = ""
    button: Payload | None = None

    @property
    def words(self) -> str:
        return norm(self.text)


@dataclass(frozen=True)
class StepSpec:
    name: str
    prompt: Callable[[Turn], Awaitable[None]]
    buttons: frozenset[str]  # the payload actions its prompt shows; any other button at this step is stale
    handle: Callable[[Turn, Said], Awaitable[None]]
    kind_buttons: bool = False  # also the buttons of the question kinds (kinds.KINDS)

    def accepts(self, button: Payload) -> bool:
        return button.action in self.buttons or (
            self.kind_buttons and any(kind.action == button.action for kind in KINDS.values() if kind.action)
        )


async def _stale(turn: Turn) -> None:
    turn.stale()


def _means(turn: Turn, said: Said, words: frozenset[str], label_key: str) -> bool:
    return said.words in words or said.words == norm(t(turn.language, label_key))


# ----------------------------------------------------------------- language
async def prompt_language(turn: Turn) -> None:
    assert turn.campaign is not None
    turn.say(t(turn.language, "language.choose"), turn.language_buttons(turn.campaign.language_list))


async def on_language(turn: Turn, said: Said) -> None:
    assert turn.campaign is not None
    if said.button is not None:
        await flow.set_language(turn, said.button.value)
        return
    language = language_from_words(said.words)
    if language and language in turn.campaign.language_list:
        await flow.set_language(turn, language)
    else:
        turn.say_key("error.not_understood")
        await turn.prompt()


# ------------------------------------------------------------------ consent
async def prompt_consent(turn: Turn) -> None:
    campaign, lang = turn.campaign, turn.language
    assert campaign is not None
    survey_purpose = pick(campaign.purpose, lang) or t(lang, "welcome.purpose_default")
    privacy = pick(campaign.privacy_text, lang)
    if not privacy:
        unit = await turn.unit_name(campaign.unit_id)
        privacy = default_privacy(lang, unit or "", campaign.retention_months)
    if campaign.anonymous:
        privacy += "\n\n" + t(lang, "privacy.anonymous")
    actions = [("yes", t(lang, "consent.yes")), ("no", t(lang, "consent.no"))]
    others = [catalogue(code)["language_name"] for code in campaign.language_list if code != lang]
    if others:
        actions.append(("lang", "🌐 " + " / ".join(others)))
    welcome = t(lang, "welcome.text", campaign=campaign.name, purpose=survey_purpose)
    turn.say(welcome + "\n\n" + privacy + "\n\n" + t(lang, "consent.ask"), turn.buttons(actions))


def default_privacy(language: str, unit: str, retention_months: int) -> str:
    """The catalogue's privacy text for a campaign without its own: who keeps the answers (the unit), that a name
    written in an answer is kept as written, and how long the answers are kept after the campaign closes."""
    if retention_months == 1:
        retention = t(language, "privacy.retention_one")
    else:
        retention = t(language, "privacy.retention_months", months=retention_months)
    return t(language, "privacy.default", unit=unit, retention=retention)


async def on_consent(turn: Turn, said: Said) -> None:
    button = said.button
    if button is not None:
        if button.value:
            turn.stale()
        elif button.action == "lang":
            await flow.ask_language_change(turn)
        else:
            await flow.on_consent(turn, button.action == "yes")
    elif _means(turn, said, YES, "consent.yes"):
        await flow.on_consent(turn, True)
    elif _means(turn, said, NO, "consent.no"):
        await flow.on_consent(turn, False)
    elif said.text.strip() and await flow.hold_before_consent(turn, said.text):
        actions = [("yes", t(turn.language, "consent.yes_short")), ("no", t(turn.language, "consent.no_short"))]
        turn.say(t(turn.language, "consent.keep_ask"), turn.buttons(actions))
    else:
        turn.say_key("consent.needed")
        await turn.prompt()


# ----------------------------------------------------------------- question
async def prompt_question(turn: Turn) -> None:
    question, lang = await turn.current_question(), turn.language
    kind = kind_of(question)
    options = tuple(turn.button(label, kind.action, value) for value, label in kind.options(question, lang))
    rows: tuple[tuple[Button, ...], ...] = (options,) if kind.one_row and options else tuple((b,) for b in options)
    if not question.required:
        rows += ((turn.button(t(lang, "question.skip"), "skip"),),)
    turn.say(pick(question.texts.get("prompt", {}), lang), rows)


async def on_question(turn: Turn, said: Said) -> None:
    if said.button is not None:
        if said.button.matches("skip", ""):
            await flow.next_question(turn)
        else:
            await flow.answer_option(turn, said.button)
        return
    question = await turn.current_question()
    kind = kind_of(question)
    if kind.free_text:
        if not question.required and said.words == norm(t(turn.language, "question.skip")):
            await flow.next_question(turn)
        elif await turn.store_answer(question, said.text):
            await flow.after_answer(turn, question)
        return
    value = kind.value_for_words(question, said.words, turn.language)
    if value is not None:
        await flow.answer_option(turn, Payload(kind.action, value))
        return
    turn.say(kind.hint(question, turn.language))
    await turn.prompt()


# -------------------------------------------------------------------- more
async def prompt_more(turn: Turn) -> None:
    question = await turn.current_question()
    lang = turn.language
    turn.say(pick(question.texts.get("more", {}), lang), turn.buttons([("done", t(lang, "question.no_more"))]))


async def on_more(turn: Turn, said: Said) -> None:
    if said.button is not None:
        await (flow.next_question(turn) if said.button.matches("done", "") else _stale(turn))
    elif _means(turn, said, NO_MORE, "question.no_more"):
        await flow.next_question(turn)
    elif await turn.store_answer(await turn.current_question(), said.text):
        await turn.prompt()


# ----------------------------------------------------------------- summary
async def prompt_summary(turn: Turn) -> None:
    lang = turn.language
    answers = await turn.answers()
    if not answers:
        turn.say(t(lang, "summary.empty"), turn.buttons([("send", t(lang, "summary.send"))]))
        return
    lines = [t(lang, "summary.intro")]
    for number, answer in enumerate(answers, start=1):
        text = answer.text if len(answer.text) <= SUMMARY_ANSWER_CHARS else answer.text[:SUMMARY_ANSWER_CHARS] + "…"
        lines.append(f"{number}. {text}")
    counts = (
        "summary.counts_completed" if turn.campaign and turn.campaign.count_completed_only else "summary.counts_all"
    )
    lines += ["", t(lang, counts), t(lang, "summary.ask")]
    turn.say("\n".join(lines), turn.buttons([("send", t(lang, "summary.send")), ("change", t(lang, "summary.change"))]))


async def on_summary(turn: Turn, said: Said) -> None:
    assert turn.conversation is not None
    button = said.button
    if button.matches("send", "") if button else _means(turn, said, YES, "summary.send"):
        await flow.complete(turn)
    elif button.matches("change", "") if button else said.words == norm(t(turn.language, "summary.change")):
        await turn.advance_to(Step.edit_pick, turn.conversation.question_index)
    elif button is not None:
        turn.stale()
    else:
        turn.say_key("error.not_understood")
        await turn.prompt()


# ------------------------------------------------------------------ change
async def prompt_edit_pick(turn: Turn) -> None:
    answers = await turn.answers()
    numbers = [turn.button(str(n), "e", str(n)) for n in range(1, len(answers) + 1)]
    rows = tuple(tuple(numbers[i : i + 5]) for i in range(0, len(numbers), 5))
    turn.say(t(turn.language, "edit.pick"), rows + ((turn.button(t(turn.language, "edit.back"), "back"),),))


async def on_edit_pick(turn: Turn, said: Said) -> None:
    if said.button is None:
        await flow.pick_answer_to_edit(turn, said.words)
    elif said.button.action == "e":
        await flow.pick_answer_to_edit(turn, said.button.value)
    else:
        await (flow.back_to_summary(turn) if said.button.matches("back", "") else _stale(turn))


async def prompt_edit_text(turn: Turn) -> None:
    answer = await turn.answer_being_edited()
    old = answer.text if answer is not None else ""
    turn.say(t(turn.language, "edit.write", old=old), turn.buttons([("back", t(turn.language, "edit.back"))]))


async def on_edit_text(turn: Turn, said: Said) -> None:
    if said.button is not None:
        await (flow.back_to_summary(turn) if said.button.matches("back", "") else _stale(turn))
    else:
        await flow.replace_answer(turn, said.text)


# ------------------------------------------------------------------ thanks
async def prompt_done(turn: Turn) -> None:
    turn.say(t(turn.language, "done.already"), turn.buttons([("again", t(turn.language, "done.add_more"))]))


async def on_done(turn: Turn, said: Said) -> None:
    if said.button is not None:
        await (flow.add_more(turn) if said.button.matches("again", "") else _stale(turn))
    else:
        await prompt_done(turn)


# ------------------------------------------------------------------ notify
async def prompt_notify(turn: Turn) -> None:
    flow.offer_notify(turn)


async def on_notify(turn: Turn, said: Said) -> None:
    button = said.button
    if button is not None:
        if button.action == "notify" and button.value in ("yes", "no"):
            await flow.answer_notify(turn, button.value == "yes")
        elif button.matches("again", ""):
            await flow.add_more(turn)
        else:
            turn.stale()
    elif _means(turn, said, YES, "notify.yes"):
        await flow.answer_notify(turn, True)
    elif _means(turn, said, NO, "notify.no"):
        await flow.answer_notify(turn, False)
    else:  # anything else: the offer lapses (nothing kept) and the conversation is simply done
        assert turn.conversation is not None
        turn.conversation.step = Step.done
        await on_done(turn, said)


STEPS: dict[str, StepSpec] = {
    spec.name: spec
    for spec in (
        StepSpec(Step.language, prompt_language, frozenset({"lang"}), on_language),
        StepSpec(Step.consent, prompt_consent, frozenset({"yes", "no", "lang"}), on_consent),
        StepSpec(Step.question, prompt_question, frozenset({"skip"}), on_question, kind_buttons=True),
        StepSpec(Step.more, prompt_more, frozenset({"done"}), on_more),
        StepSpec(Step.summary, prompt_summary, frozenset({"send", "change"}), on_summary),
        StepSpec(Step.edit_pick, prompt_edit_pick, frozenset({"e", "back"}), on_edit_pick),
        StepSpec(Step.edit_text, prompt_edit_text, frozenset({"back"}), on_edit_text),
        StepSpec(Step.done, prompt_done, frozenset({"again"}), on_done),
        StepSpec(Step.notify, prompt_notify, frozenset({"notify", "again"}), on_notify),
    )
}
