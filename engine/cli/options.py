"""The options commands share, declared per command: each command takes only the ones it uses.

``common_options("specs", "db", ...)`` adds the named ones of ``--specs``, ``--db``, ``--env``,
``--format``, ``--no-color`` and ``--debug`` and hands them to the command as one ``Options``;
an option a command does not declare is refused by click (exit 1, naming it), never ignored.
``ReconCommand`` refuses a single-valued option given twice (``--db A --db B``) instead of
letting the last one win.
"""

from __future__ import annotations

import functools
import os
import sys
from collections import Counter
from dataclasses import dataclass

import click

from ..errors import UsageError

FORMATS = ("text", "json", "markdown", "html")
NO_HTML = ("text", "json", "markdown")  # the formats of a command whose result has no HTML view


@dataclass
class Options:
    """The common options of one command (those it does not take keep their neutral value)."""

    specs: str | None = None
    db: str | None = None
    env: str | None = None
    format: str = "text"
    color: bool = False
    debug: bool = False


class ReconCommand(click.Command):
    """A click command that refuses an option with a value given more than once (a flag twice is still the flag)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        parser = self.make_parser(ctx)
        _, _, order = parser.parse_args(args=list(args))
        counts = Counter(p for p in order if isinstance(p, click.Option) and not (p.multiple or p.count or p.is_flag))
        twice = [p for p, n in counts.items() if n > 1]
        if twice:
            names = ", ".join(max(p.opts, key=len) for p in twice)
            raise click.UsageError(f"{names} given more than once: give it once", ctx=ctx)
        return super().parse_args(ctx, args)


def command(**kwargs):
    """``click.command`` with ``ReconCommand``: every recon command refuses repeated options."""
    return click.command(cls=ReconCommand, **kwargs)


_DECLARE = {
    "specs": click.option("--specs", "specs", default=lambda: os.environ.get("RECON_SPECS", "specs"),
                          show_default="specs or $RECON_SPECS", help="Spec folder or file."),
    "db": click.option("--db", "db", default=None, help="Target SQLAlchemy URL (else $RECON_DATABASE_URL, else --env)."),
    "env": click.option("--env", "env", default=None, help="Environment from the environments spec that names the target."),
    "format": lambda formats: click.option("--format", "format", type=click.Choice(formats), default="text", show_default=True,
                                           help="text for people, json for machines, markdown for a pull-request comment"
                                                + (", html for a self-contained evidence report." if "html" in formats else ".")),
    "no_color": click.option("--no-color", "no_color", is_flag=True, help="Never colour text output (NO_COLOR is honoured too)."),
    "debug": click.option("--debug", "debug", is_flag=True, help="Show a traceback on errors."),
}
ALL = tuple(_DECLARE)


def common_options(*names: str, formats: tuple[str, ...] = FORMATS, specs_help: str | None = None):
    """Declare the named common options (all of them when none are named) and pass them as ``opts``.

    ``formats`` are the ``--format`` choices (a command whose result has no HTML view passes
    ``NO_HTML``); ``specs_help`` says when a command reads ``--specs``, if not always."""
    chosen = names or ALL
    unknown = set(chosen) - set(_DECLARE)
    if unknown:
        raise ValueError(f"unknown common options: {sorted(unknown)}")

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(**kwargs):
            given = {n: kwargs.pop(n) for n in chosen}
            no_color = given.pop("no_color", True)
            color = not no_color and not os.environ.get("NO_COLOR") and sys.stdout.isatty()
            return fn(Options(**given, color=color), **kwargs)

        for name in reversed(ALL):
            if name in chosen:
                wrapper = _declare(name, formats, specs_help, chosen)(wrapper)
        return wrapper

    return decorate


def _declare(name: str, formats: tuple[str, ...], specs_help: str | None, chosen: tuple[str, ...] = ALL):
    if name == "format":
        return _DECLARE["format"](formats)
    if name == "db" and "env" not in chosen:  # a command without --env: the URL comes from --db or the variable only
        return click.option("--db", "db", default=None, help="Target SQLAlchemy URL (else $RECON_DATABASE_URL).")
    if name == "specs" and specs_help:
        return click.option("--specs", "specs", default=lambda: os.environ.get("RECON_SPECS", "specs"),
                            show_default="specs or $RECON_SPECS", help=specs_help)
    return _DECLARE[name]


def emit(text: str) -> None:
    """Print a rendered view as it is (views end their own lines)."""
    click.echo(text, nl=False)


def change_options(fn):
    """Options shared by the commands that plan or change the database."""

    @click.option("--mode", type=click.Choice(["apply", "detect-only"]), default=None, help="detect-only refuses apply and rollback (else $RECON_MODE, else the environment's mode).")
    @click.option("--ledger-table", default=lambda: os.environ.get("RECON_LEDGER_TABLE"), help="Ledger table name (default recon_ledger, or the environment's ledger_table).")
    @functools.wraps(fn)
    def wrapper(*args, mode, ledger_table, **kwargs):
        return fn(*args, mode_option=mode, ledger_option=ledger_table, **kwargs)

    return wrapper


def apply_options(fn):
    """Options of the commands that apply: approval, destructive codes, the window override, the actor."""

    @click.option("--auto-approve", is_flag=True, help="Apply without asking (a saved plan is never asked about).")
    @click.option("--allow-destructive", is_flag=True, help="Allow every destructive safety code.")
    @click.option("--override-window", is_flag=True, help="Apply outside the environment's window (needs --reason; recorded in the ledger).")
    @click.option("--reason", default=None, help="Why the window is overridden (recorded in the ledger).")
    @click.option("--actor", default=lambda: os.environ.get("RECON_ACTOR"), help="Who runs this, for the ledger (else $RECON_ACTOR, else user@host).")
    @functools.wraps(fn)
    def wrapper(*args, override_window, reason, **kwargs):
        if override_window and not (reason or "").strip():
            raise UsageError("--override-window needs --reason TEXT: the ledger records why the window was overridden")
        if reason and not override_window:
            raise UsageError("--reason goes with --override-window")
        return fn(*args, override=reason if override_window else None, **kwargs)

    return wrapper


def selection_options(fn):
    """``--unit ID`` and ``--exclude ID`` (repeatable): the work a plan covers (``planning.selection``)."""

    @click.option("--unit", "units", multiple=True, metavar="ID",
                  help="Plan only this unit (or seed:NAME, rbac:NAME) and what it needs; repeatable.")
    @click.option("--exclude", "exclude", multiple=True, metavar="ID",
                  help="Leave this unit (or seed:NAME, rbac:NAME) out; what remaining work needs cannot be; repeatable.")
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


def mode_of(option: str | None) -> str:
    """``--mode``, else ``RECON_MODE``, the stricter of the two (the environment's mode is the plan's)."""
    asked = [m for m in (option, os.environ.get("RECON_MODE")) if m]
    mode = "detect-only" if "detect-only" in asked else (asked[0] if asked else "apply")
    if mode not in ("apply", "detect-only"):
        raise UsageError(f"unknown mode {mode!r} (apply or detect-only)")
    return mode


def seeding_skipped(flag: bool) -> bool:
    """``--skip-seeding`` or ``RECON_SKIP_SEEDING=true``."""
    return flag or os.environ.get("RECON_SKIP_SEEDING", "").lower() in ("1", "true", "yes")


def specs_and_url(opts: Options):
    """The loaded specs and the target URL they and the options name."""
    from .. import load_specs
    from ..target.connection import resolve_url

    specs = load_specs(opts.specs)
    return specs, resolve_url(opts.db, opts.env, specs.environments)
