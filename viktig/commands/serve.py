"""`viktig serve`: the dashboard, the web chat and (with TELEGRAM_BOT_TOKEN) the Telegram channel."""

from __future__ import annotations

import argparse

from viktig.cli import UserError, ensure_database_writable
from viktig.context import AppContext

SQLITE_ONE_PROCESS = (
    "SQLite supports one `viktig serve` process. To run several (behind a load balancer, or --processes N), "
    "use PostgreSQL: DATABASE_URL=postgresql://user:password@host:5432/viktig (move the data with `viktig db copy`)."
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="run the web server (dashboard, web chat, Telegram webhook or polling)",
        description="Serve on HOST:PORT. With TELEGRAM_BOT_TOKEN the Telegram channel runs too: a webhook when "
        "VIKTIG_PUBLIC_URL is set, long polling otherwise.",
    )
    serve.add_argument("--host", help="override HOST")
    serve.add_argument("--port", type=int, help="override PORT")
    serve.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="N",
        help="run N server processes on the same port (PostgreSQL only; default 1)",
    )
    serve.add_argument(
        "--reuse-port", action="store_true", help="share the port with other `viktig serve` processes (PostgreSQL only)"
    )
    serve.set_defaults(handler=_serve)


async def _serve(args: argparse.Namespace, ctx: AppContext) -> int:
    overrides = {key: value for key, value in (("host", args.host), ("port", args.port)) if value is not None}
    if overrides:
        ctx.settings = ctx.settings.with_overrides(**overrides)
    settings = ctx.settings
    if args.processes < 1:
        raise UserError("--processes must be at least 1")
    if settings.is_sqlite and (args.processes > 1 or args.reuse_port):
        raise UserError(SQLITE_ONE_PROCESS)
    if args.processes > 1:
        if settings.telegram_bot_token and not settings.public_url:
            raise UserError(
                "Telegram long polling runs in one process; set VIKTIG_PUBLIC_URL (webhook mode) to run several."
            )
        from viktig.supervisor import supervise

        await ctx.close()  # the children open their own pools
        return await supervise(
            args.processes, ["serve", "--reuse-port", "--host", settings.host, "--port", str(settings.port)]
        )
    # Here, not at the top: `viktig --help` needs neither the job stack nor the web and Telegram stacks.
    from viktig.jobs import ProcessLockHeld, single_sqlite_process
    from viktig.server import run_server

    await ensure_database_writable(ctx)
    try:
        with single_sqlite_process(settings.database_url, "serve"):
            await run_server(ctx, reuse_port=args.reuse_port)
    except ProcessLockHeld as held:
        raise UserError(
            f"another `viktig serve` is already running on this SQLite database. {SQLITE_ONE_PROCESS}"
        ) from held
    return 0
