"""A local fake Telegram Bot API server for end-to-end tests, scale tests and benchmarks.

Telegram is the one part of the world the tests cannot run, so this server stands in for it:
python-telegram-bot talks to it over real HTTP (`base_url`), every call is checked against the
published specification (tests/data/telegram-bot-api/api.json) and Telegram's limits, and
updates reach the bot by long polling or by webhook deliveries with retries, round-robin over
several processes and deliberate duplicates. Calls that break the specification answer
`400 Bad Request` and are collected in `violations`; realistic refusals that a correct bot must
handle (message not modified, bot blocked, injected 429s) are not violations.

Run standalone: `python -m tests.support.fake_bot_api --port 8081`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import functools
import json
import random
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Self

import aiohttp
from aiohttp import web

from tests.support.bot_api_spec import BotApiSpec, UploadedFile, default_spec
from tests.support.fake_updates import SimulatedUsers, Update

DEFAULT_TOKEN = "123456789:AAFakeTokenForViktigTests_0123456789"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")
# Telegram leaves these out when allowed_updates is empty or was never given.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected error",
    403: "Forbidden: bot was blocked by the user",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
}


@dataclass
class ApiCall:
    """One request the bot made: canonical method name, converted parameters, arrival time, HTTP status."""

    method: str
    params: dict[str, Any]
    time: float
    status: int = 200


class DeliveryAttempt(NamedTuple):
    """One webhook POST: HTTP status, or the name of the connection error."""

    update_id: int
    target: str
    status: int | str


@dataclass
class InjectedError:
    method: str | None
    chat_id: int | str | None
    error_code: int
    description: str
    retry_after: int | None
    times: int | None


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class _Refusal(Exception):
    """Telegram refuses a valid call (message to edit not found, bot blocked, conflict)."""

    error_code: int
    description: str
    retry_after: int | None = None


@dataclass
class _State:
    """Everything that changes while the fake runs; kept together so a reset is one assignment."""

    pending: dict[int, Update] = field(default_factory=dict)
    archive: dict[int, Update] = field(default_factory=dict)
    redeliver: list[Update] = field(default_factory=list)
    duplicates_wanted: set[int] = field(default_factory=set)
    in_flight: set[int] = field(default_factory=set)
    busy_queues: set[Any] = field(default_factory=set)
    known_chats: dict[int, dict[str, Any]] = field(default_factory=dict)
    blocked_chats: set[int] = field(default_factory=set)
    open_callbacks: set[str] = field(default_factory=set)
    sent: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    commands: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    injected: list[InjectedError] = field(default_factory=list)
    poll_allowed_updates: list[str] | None = None
    poll_generation: int = 0
    round_robin: int = 0


class FakeBotApi(SimulatedUsers):
    """Telegram's Bot API on 127.0.0.1 for one bot token; see the module docstring."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "viktig_test_bot",
        bot_first_name: str = "Viktig test",
        host: str = "127.0.0.1",
        port: int = 0,
        spec: BotApiSpec | None = None,
        retry_delay: float = 0.05,
        max_retry_delay: float = 1.0,
        max_delivery_attempts: int = 30,
        delivery_timeout: float = 30.0,
        duplicate_probability: float = 0.0,
        seed: int = 0,
        require_known_chats: bool = True,
    ) -> None:
        bot_id = int(token.split(":", 1)[0])
        super().__init__({"id": bot_id, "is_bot": True, "first_name": bot_first_name, "username": bot_username})
        self.token = token
        self.host = host
        self.port = port
        self.spec = spec or default_spec()
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self.max_delivery_attempts = max_delivery_attempts
        self.delivery_timeout = delivery_timeout
        self.duplicate_probability = duplicate_probability
        self.require_known_chats = require_known_chats
        self._random = random.Random(seed)
        self.calls: list[ApiCall] = []
        self.violations: list[str] = []
        self.rejections: list[str] = []
        self.answered_callbacks: list[dict[str, Any]] = []
        self.delivery_log: list[DeliveryAttempt] = []
        self.dropped_updates: list[Update] = []
        self.webhook: Webhook | None = None
        self._webhook_targets: list[str] | None = None
        self._state = _State()
        self._changed = asyncio.Event()
        # (predicate, future) of tests waiting for a state; checked on every change instead of waking every waiter
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendChatAction": self._send_chat_action,
        }

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """python-telegram-bot's base_url form; it appends the token and then '/<method>'."""
        return f"http://{self.host}:{self.port}/bot"

    async def start(self) -> Self:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_http)
        app.router.add_post("/_fake/updates/{builder}", self._handle_control_push)
        app.router.add_get("/_fake/sent/{chat_id}", self._handle_control_sent)
        app.router.add_get("/_fake/status", self._handle_control_status)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self._client = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        return self

    async def stop(self) -> None:
        self._closing = True
        self._notify()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    # -- simulating Telegram's side -------------------------------------------------------------

    async def push(self, *updates: Update) -> None:
        """Queue updates for getUpdates, or deliver them by webhook if one is set."""
        for update in updates:
            update_id = update["update_id"]
            self._remember_participants(update)
            self._state.archive[update_id] = update
            self._state.pending[update_id] = update
            if self.duplicate_probability and self._random.random() < self.duplicate_probability:
                self._state.duplicates_wanted.add(update_id)
        self._changed_state()

    def duplicate(self, update_ids: list[int] | set[int] | tuple[int, ...]) -> None:
        """Deliver these updates twice (once more right away if they were already delivered)."""
        for update_id in update_ids:
            delivered = (
                update_id in self._state.archive
                and update_id not in self._state.pending
                and update_id not in self._state.in_flight
            )
            if not delivered:
                self._state.duplicates_wanted.add(update_id)
            elif self.webhook is None:
                self._state.redeliver.append(self._state.archive[update_id])
            else:
                self._state.pending[update_id] = self._state.archive[update_id]
        self._changed_state()

    @property
    def webhook_targets(self) -> list[str] | None:
        """Overrides the registered webhook URL: deliveries go round-robin over these URLs."""
        return self._webhook_targets

    @webhook_targets.setter
    def webhook_targets(self, targets: list[str] | None) -> None:
        self._webhook_targets = list(targets) if targets else None
        self._changed_state()

    def inject_error(
        self,
        method: str | None = "sendMessage",
        chat_id: int | str | None = None,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        times: int | None = 1,
    ) -> None:
        """Answer the next `times` matching calls (None: all) with this error instead of executing them."""
        if error_code == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if error_code == 429
                else DEFAULT_DESCRIPTIONS.get(error_code, "Bad Request: injected error")
            )
        self._state.injected.append(InjectedError(method, chat_id, error_code, description, retry_after, times))

    def block_chat(self, chat_id: int) -> None:
        """The user blocked the bot: every later call to this chat answers 403."""
        self._state.blocked_chats.add(chat_id)

    # -- what the bot did -----------------------------------------------------------------------

    def sent_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages the bot sent to a chat, oldest first, with edits applied (`edited` counts them)."""
        return [dict(record) for record in self._state.sent.get(chat_id, [])]

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method == method]

    def commands(self, language_code: str = "", scope: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The commands set for one scope and language (what getMyCommands would answer)."""
        return list(self._state.commands.get((_scope_key(scope), language_code), []))

    @property
    def unanswered_callbacks(self) -> set[str]:
        """Ids of callback queries pushed to the bot and not yet answered."""
        return set(self._state.open_callbacks)

    @property
    def pending_update_count(self) -> int:
        return len(self._state.pending)

    async def wait_for_messages(self, chat_id: int, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        await self.wait_until(
            lambda: len(self._state.sent.get(chat_id, [])) >= count,
            timeout,
            lambda: (
                f"chat {chat_id} has {len(self._state.sent.get(chat_id, []))} message(s) from the bot, expected {count}"
            ),
        )
        return self.sent_messages(chat_id)

    async def wait_for_calls(self, method: str, count: int = 1, timeout: float = 10) -> list[ApiCall]:
        await self.wait_until(
            lambda: len(self.calls_to(method)) >= count,
            timeout,
            lambda: f"{len(self.calls_to(method))} call(s) to {method}, expected {count}",
        )
        return self.calls_to(method)

    async def wait_idle(self, timeout: float = 10) -> None:
        """Wait until every pushed update was delivered (webhook) or confirmed (getUpdates offset)."""
        state = self._state
        await self.wait_until(
            lambda: not state.pending and not state.in_flight and not state.redeliver,
            timeout,
            lambda: f"{len(state.pending)} update(s) pending, {len(state.in_flight)} delivery(ies) in flight",
        )

    # -- HTTP -----------------------------------------------------------------------------------

    async def _handle_http(self, request: web.Request) -> web.Response:
        token, requested = request.match_info["token"], request.match_info["method"]
        if not _TOKEN.fullmatch(token):
            return _error_response(404, "Not Found")
        if token != self.token:
            return _error_response(401, "Unauthorized")
        try:
            raw, files = await _read_parameters(request)
        except ValueError as error:
            self._violation(requested, str(error))
            return _error_response(400, f"Bad Request: {error}")
        status, payload = await self.execute(requested, raw, files)
        return web.json_response(payload, status=status)

    async def execute(
        self, requested: str, raw: dict[str, Any], files: dict[str, UploadedFile] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Run one Bot API call as Telegram would; returns the HTTP status and the JSON envelope."""
        method = self.spec.method_name(requested)
        if method is None:
            self._violation(requested, f"no such method in {self.spec.version}")
            self.calls.append(ApiCall(requested, dict(raw), time.time(), 404))
            return 404, _envelope_error(404, "Not Found")
        checked = self.spec.check_call(method, raw, files)
        call = ApiCall(method, checked.params, time.time())
        self.calls.append(call)
        self._notify()
        if checked.problems:
            for problem in checked.problems:
                self._violation(method, problem)
            call.status = 400
            return 400, _envelope_error(400, f"Bad Request: {checked.problems[0]}")
        try:
            self._raise_injected(method, checked.params)
            handler = self._handlers.get(method) or functools.partial(self._generic, method)
            result = handler(checked.params)
            if asyncio.iscoroutine(result):
                result = await result
        except _Refusal as refusal:
            call.status = refusal.error_code
            self.rejections.append(f"{method}: {refusal.description}")
            self._notify()
            return refusal.error_code, _envelope_error(refusal.error_code, refusal.description, refusal.retry_after)
        return 200, {"ok": True, "result": result}

    def _violation(self, method: str, problem: str) -> None:
        self.violations.append(f"{method}: {problem}")

    def _raise_injected(self, method: str, params: dict[str, Any]) -> None:
        for injected in self._state.injected:
            if injected.method not in (None, method):
                continue
            if injected.chat_id is not None and params.get("chat_id") != injected.chat_id:
                continue
            if injected.times is not None:
                injected.times -= 1
                if injected.times <= 0:
                    self._state.injected.remove(injected)
            raise _Refusal(injected.error_code, injected.description, injected.retry_after)

    # -- methods --------------------------------------------------------------------------------

    def _get_me(self, _params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: dict[str, Any]) -> list[Update]:
        state = self._state
        if self.webhook is not None:
            raise _Refusal(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in params:
            state.poll_allowed_updates = params["allowed_updates"]
        offset, limit = params.get("offset", 0), params.get("limit", 100)
        if offset > 0:
            for update_id in [uid for uid in state.pending if uid < offset]:
                self._confirm(state.pending.pop(update_id))
        state.poll_generation += 1
        generation = state.poll_generation
        self._notify()
        deadline = time.monotonic() + params.get("timeout", 0)
        while True:
            if state.poll_generation != generation:
                raise _Refusal(409, DEFAULT_DESCRIPTIONS[409])
            if self.webhook is not None:
                raise _Refusal(409, "Conflict: terminated by setWebhook request")
            batch = self._poll_batch(offset, limit)
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._closing:
                return batch
            await self._wait_changed(remaining)

    def _poll_batch(self, offset: int, limit: int) -> list[Update]:
        state = self._state
        for update_id in [
            uid for uid, update in state.pending.items() if not self._allowed(update, state.poll_allowed_updates)
        ]:
            del state.pending[update_id]
        waiting = list(state.pending.values())
        if offset < 0:
            waiting = waiting[offset:]
        batch = state.redeliver[:limit]
        del state.redeliver[:limit]
        return [copy.deepcopy(update) for update in batch + waiting[: limit - len(batch)]]

    def _confirm(self, update: Update) -> None:
        """The bot confirmed an update by offset; a wanted duplicate comes back once more."""
        if update["update_id"] in self._state.duplicates_wanted:
            self._state.duplicates_wanted.discard(update["update_id"])
            self._state.redeliver.append(update)

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params["url"]
        if url == "":
            return self._delete_webhook(params)
        if not re.match(r"https?://[^/\s]+", url):
            raise _Refusal(400, "Bad Request: bad webhook: invalid URL")
        # Real Telegram requires HTTPS on ports 443, 80, 88 or 8443; like a local Bot API server,
        # the fake takes plain HTTP.
        self.webhook = Webhook(
            url, params.get("secret_token"), params.get("max_connections", 40), params.get("allowed_updates")
        )
        if params.get("drop_pending_updates"):
            self._state.pending.clear()
        self._changed_state()
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._state.pending.clear()
        self._changed_state()
        return True

    def _get_webhook_info(self, _params: dict[str, Any]) -> dict[str, Any]:
        webhook = self.webhook
        info: dict[str, Any] = {
            "url": webhook.url if webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._state.pending),
        }
        if webhook is not None:
            info["max_connections"] = webhook.max_connections
            if webhook.allowed_updates is not None:
                info["allowed_updates"] = webhook.allowed_updates
            if webhook.last_error_date is not None:
                info["last_error_date"] = webhook.last_error_date
                info["last_error_message"] = webhook.last_error_message
        return info

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._new_bot_message("sendMessage", params, text=params["text"])

    def _new_bot_message(self, method: str, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat = self._target_chat(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": self.next_message_id(chat["id"]),
            "from": dict(self.bot_user),
            "chat": chat,
            "date": int(time.time()),
        }
        message.update(content)
        markup = params.get("reply_markup")
        if markup and "inline_keyboard" in markup:
            # Telegram echoes only inline keyboards in the returned Message.
            message["reply_markup"] = markup
        self._bot_messages[(chat["id"], message["message_id"])] = message
        record = {
            "message_id": message["message_id"],
            "method": method,
            "text": content.get("text", content.get("caption")),
            "reply_markup": markup,
            "parse_mode": params.get("parse_mode"),
            "edited": 0,
        }
        self._state.sent.setdefault(chat["id"], []).append(record)
        self._notify()
        return copy.deepcopy(message)

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        return self._edit(params, params.get("text"))

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        return self._edit(params, None)

    def _edit(self, params: dict[str, Any], text: str | None) -> dict[str, Any] | bool:
        if "inline_message_id" in params:
            return True
        message = self._bot_message(params["chat_id"], params["message_id"], "edit")
        markup = params.get("reply_markup")
        new_text = message.get("text") if text is None else text
        if new_text == message.get("text") and markup == message.get("reply_markup"):
            raise _Refusal(400, NOT_MODIFIED)
        message["text"] = new_text
        message["edit_date"] = int(time.time())
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        for record in self._state.sent.get(message["chat"]["id"], []):
            if record["message_id"] == message["message_id"]:
                record.update(text=new_text, reply_markup=markup, edited=record["edited"] + 1)
        self._notify()
        return copy.deepcopy(message)

    def _delete_message(self, params: dict[str, Any]) -> bool:
        message = self._bot_message(params["chat_id"], params["message_id"], "delete")
        del self._bot_messages[(message["chat"]["id"], message["message_id"])]
        return True

    def _bot_message(self, chat_id: int | str, message_id: int, action: str) -> dict[str, Any]:
        chat = self._target_chat(chat_id)
        message = self._bot_messages.get((chat["id"], message_id))
        if message is None:
            if action == "edit" and 0 < message_id <= self._last_message_id.get(chat["id"], 0):
                raise _Refusal(400, "Bad Request: message can't be edited")
            raise _Refusal(400, f"Bad Request: message to {action} not found")
        return message

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = params["callback_query_id"]
        if query_id not in self._state.open_callbacks:
            raise _Refusal(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self._state.open_callbacks.discard(query_id)
        self.answered_callbacks.append(dict(params))
        self._notify()
        return True

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        self._state.commands[(_scope_key(params.get("scope")), params.get("language_code", ""))] = params["commands"]
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands(params.get("language_code", ""), params.get("scope"))

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self._state.commands.pop((_scope_key(params.get("scope")), params.get("language_code", "")), None)
        return True

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._target_chat(params["chat_id"])
        return True

    def _generic(self, method: str, params: dict[str, Any]) -> Any:
        """Methods the fake does not model: valid calls succeed with the simplest result Telegram could give."""
        returns = self.spec.returns(method)
        if "Message" in returns and "chat_id" in params:
            content = {"caption": params["caption"]} if "caption" in params else {}
            return self._new_bot_message(method, params, **content)
        if "Boolean" in returns:
            return True
        if returns and returns[0].startswith("Array of"):
            return []
        raise _Refusal(
            400, f"Bad Request: the fake Bot API does not simulate {method} (returns {' or '.join(returns)})"
        )

    def _target_chat(self, chat_id: int | str) -> dict[str, Any]:
        if chat_id in self._state.blocked_chats:
            raise _Refusal(403, "Forbidden: bot was blocked by the user")
        chat = self._state.known_chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            if self.require_known_chats or not isinstance(chat_id, int):
                raise _Refusal(400, "Bad Request: chat not found")
            chat = {"id": chat_id, "type": "private", "first_name": "Kari"}
        return dict(chat)

    def _remember_participants(self, update: Update) -> None:
        """Telegram knows a chat once its user wrote to the bot; callback ids become answerable."""
        for kind, payload in update.items():
            if kind == "update_id" or not isinstance(payload, dict):
                continue
            message = payload.get("message") if kind == "callback_query" else payload
            if isinstance(message, dict) and isinstance(message.get("chat"), dict) and message["chat"].get("type"):
                self._state.known_chats[message["chat"]["id"]] = message["chat"]
            if kind == "callback_query":
                self._state.open_callbacks.add(payload["id"])

    # -- webhook delivery -----------------------------------------------------------------------

    def _changed_state(self) -> None:
        self._notify()
        self._schedule_deliveries()

    def _schedule_deliveries(self) -> None:
        """Start deliveries: at most max_connections at once, one at a time per chat (in order)."""
        webhook, state = self.webhook, self._state
        if webhook is None or self._closing or self._client is None:
            return
        for update_id, update in list(state.pending.items()):
            if len(state.in_flight) >= webhook.max_connections:
                break
            queue = _queue_key(update)
            if update_id in state.in_flight or queue in state.busy_queues:
                continue
            if not self._allowed(update, webhook.allowed_updates):
                del state.pending[update_id]
                continue
            state.in_flight.add(update_id)
            state.busy_queues.add(queue)
            task = asyncio.get_running_loop().create_task(self._deliver(update, queue))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, update: Update, queue: Any) -> None:
        update_id = update["update_id"]
        try:
            if await self._deliver_with_retries(update):
                self._state.pending.pop(update_id, None)
                if update_id in self._state.duplicates_wanted:
                    self._state.duplicates_wanted.discard(update_id)
                    await self._deliver_with_retries(update)
        finally:
            self._state.in_flight.discard(update_id)
            self._state.busy_queues.discard(queue)
            if not self._closing:
                self._changed_state()

    async def _deliver_with_retries(self, update: Update) -> bool:
        """POST until a 2xx; each retry goes to the next target. False if the webhook went away."""
        start = self._state.round_robin
        self._state.round_robin += 1
        delay = self.retry_delay
        for attempt in range(self.max_delivery_attempts):
            webhook = self.webhook
            if webhook is None or self._closing:
                return False
            targets = self._webhook_targets or [webhook.url]
            target = targets[(start + attempt) % len(targets)]
            status = await self._post(target, update, webhook)
            self.delivery_log.append(DeliveryAttempt(update["update_id"], target, status))
            if isinstance(status, int) and 200 <= status < 300:
                return True
            webhook.last_error_date = int(time.time())
            webhook.last_error_message = (
                f"Wrong response from the webhook: {status}"
                if isinstance(status, int)
                else f"Connection failed: {status}"
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_retry_delay)
        self.dropped_updates.append(update)
        self._state.pending.pop(update["update_id"], None)
        return False

    async def _post(self, target: str, update: Update, webhook: Webhook) -> int | str:
        assert self._client is not None
        headers = {"Content-Type": "application/json"}
        if webhook.secret_token:
            headers[SECRET_HEADER] = webhook.secret_token
        try:
            timeout = aiohttp.ClientTimeout(total=self.delivery_timeout)
            async with self._client.post(target, data=json.dumps(update), headers=headers, timeout=timeout) as response:
                body = await response.read()
                status = response.status
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            return type(error).__name__
        if 200 <= status < 300 and body:
            await self._execute_webhook_reply(body)
        return status

    async def _execute_webhook_reply(self, body: bytes) -> None:
        """A bot may answer a webhook with one method call in the response body; Telegram executes it."""
        try:
            reply = json.loads(body)
        except ValueError:
            return
        if isinstance(reply, dict) and isinstance(reply.get("method"), str):
            method = reply.pop("method")
            await self.execute(method, reply)

    @staticmethod
    def _allowed(update: Update, allowed_updates: list[str] | None) -> bool:
        kind = next(key for key in update if key != "update_id")
        return kind in allowed_updates if allowed_updates else kind not in _OPT_IN_UPDATES

    # -- waiting --------------------------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
        for predicate, future in self._waiters:
            if not future.done() and predicate():
                future.set_result(None)

    async def _wait_changed(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    async def wait_until(self, predicate: Callable[[], bool], timeout: float, describe: Callable[[], str]) -> None:
        """Hundreds of simulated people wait at once: each waiter is a future that `_notify` resolves when its
        predicate holds, so a change costs a predicate call per waiter rather than a task wake-up per waiter."""
        if predicate():
            return
        waiter = (predicate, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter[1]
        except TimeoutError:
            raise TimeoutError(f"after {timeout} s: {describe()}") from None
        finally:
            self._waiters.remove(waiter)

    # -- control endpoints for standalone use ---------------------------------------------------

    _BUILDERS = frozenset(
        {
            "message",
            "group_message",
            "command",
            "edited_message",
            "callback",
            "press",
            "sticker",
            "photo",
            "voice",
            "video",
            "document",
            "location",
            "contact",
        }
    )

    async def _handle_control_push(self, request: web.Request) -> web.Response:
        """POST /_fake/updates/<builder> with the builder's keyword arguments as JSON; pushes the update."""
        builder = request.match_info["builder"]
        if builder not in self._BUILDERS:
            return web.json_response({"error": f"unknown builder {builder}"}, status=404)
        try:
            update = getattr(self, builder)(**await request.json())
        except (TypeError, LookupError, ValueError) as error:
            return web.json_response({"error": str(error)}, status=400)
        await self.push(update)
        return web.json_response(update)

    async def _handle_control_sent(self, request: web.Request) -> web.Response:
        return web.json_response(self.sent_messages(int(request.match_info["chat_id"])))

    async def _handle_control_status(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                "calls": len(self.calls),
                "violations": self.violations,
                "pending_updates": len(self._state.pending),
                "in_flight": len(self._state.in_flight),
                "webhook": self.webhook.url if self.webhook else None,
                "deliveries": len(self.delivery_log),
                "dropped": len(self.dropped_updates),
            }
        )


async def _read_parameters(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """The four ways of passing parameters: query string, urlencoded form, multipart form, JSON body."""
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("the JSON body must be an object")
            raw.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for name, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    content = value.file.read()
                    files[name] = UploadedFile(name, value.filename, value.content_type, len(content))
                else:
                    raw[name] = value
        else:
            raise ValueError(f"unsupported Content-Type {request.content_type}")
    return raw, files


def _envelope_error(code: int, description: str, retry_after: int | None = None) -> dict[str, Any]:
    envelope: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        envelope["parameters"] = {"retry_after": retry_after}
    return envelope


def _error_response(code: int, description: str) -> web.Response:
    return web.json_response(_envelope_error(code, description), status=code)


def _scope_key(scope: dict[str, Any] | None) -> str:
    return json.dumps(scope or {"type": "default"}, sort_keys=True)


def _queue_key(update: Update) -> Any:
    """Telegram delivers one chat's updates one after the other; other updates have no order."""
    for kind, payload in update.items():
        if kind == "update_id" or not isinstance(payload, dict):
            continue
        message = payload.get("message") if kind == "callback_query" else payload
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            return ("chat", message["chat"]["id"])
        if isinstance(payload.get("from"), dict):
            return ("user", payload["from"]["id"])
    return ("update", update["update_id"])


async def _serve(arguments: argparse.Namespace) -> None:
    fake = FakeBotApi(
        arguments.token,
        bot_username=arguments.username,
        host=arguments.host,
        port=arguments.port,
        require_known_chats=not arguments.any_chat,
    )
    async with fake:
        print(f"Fake Telegram Bot API on {fake.base_url} (token {fake.token}, bot @{arguments.username})", flush=True)
        print(
            f"Simulate users: POST {fake.base_url[:-4]}/_fake/updates/message "
            'with JSON {"chat_id": 1001, "text": "Hei"}',
            flush=True,
        )
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Run the fake Telegram Bot API server (for manual trials and benchmarks)."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--username", default="viktig_test_bot")
    parser.add_argument("--any-chat", action="store_true", help="let the bot send to chats no user has written from")
    arguments = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(arguments))


if __name__ == "__main__":
    main()
