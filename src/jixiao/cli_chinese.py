"""click, in Chinese: the help layout, the usage errors and the parameter types of the CLI.

Everything a user reads comes from click's own hooks, never from rewriting its English:
the command classes lay out the usage line, the sections and the help option; the
parameter types fail with Chinese messages; ``Group.main`` words click's exceptions from
their attributes (which option, which value) and turns every error into one Chinese line
with the exit code of the rule in ``jixiao.cli``.
"""

from __future__ import annotations

import errno
import glob
import inspect
import os
import re
import sys
import traceback
import unicodedata
from typing import Any

import click

from jixiao.errors import JixiaoError, UsageError
from jixiao.io.textout import for_terminal

#: the shell's code for a run stopped by Ctrl-C: a script must not take it for "errors found"
INTERRUPTED = 130

# ------------------------------------------------------------------ help laid out in Chinese

def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_NO_LINE_START = set("，。、；：）」”！？")


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` terminal columns; CJK breaks anywhere, ASCII words don't.

    click's own wrapping counts characters, which lets a Chinese line run twice as wide.
    """
    width -= 4  # room for the closing punctuation that may not start a line
    lines, line, used = [], "", 0
    for token in re.findall(r"[!-~]+ ?| |.", text):
        w = _display_width(token.rstrip())
        # closing punctuation stays on its line, as Chinese typesetting wants
        if used and used + w > width and token not in _NO_LINE_START:
            lines.append(line.rstrip())
            line, used = "", 0
            token = token.lstrip()
        line += token
        used += _display_width(token)
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _write_rows(formatter: click.HelpFormatter, heading: str, rows: list[tuple[str, str]]) -> None:
    if not rows:
        return
    formatter.write_paragraph()
    formatter.write(f"{'':>{formatter.current_indent}}{heading}：\n")
    indent = formatter.current_indent + 2
    first = min(max(_display_width(term) for term, _ in rows), 28)
    text_width = max(formatter.width - indent - first - 2, 24)
    for term, text in rows:
        lines = _wrap(text, text_width) or [""]
        gap = first - _display_width(term)
        if gap >= 0:
            formatter.write(f"{'':>{indent}}{term}{'':>{gap + 2}}{lines[0]}\n")
            lines = lines[1:]
        else:
            formatter.write(f"{'':>{indent}}{term}\n")
        for line in lines:
            formatter.write(f"{'':>{indent + first + 2}}{line}\n")


class _ChineseHelp:
    """Usage line, help text, sections and help option of a command, in Chinese."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), "用法：")

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if not self.help:
            return
        formatter.write_paragraph()
        width = formatter.width - formatter.current_indent - 2
        for number, paragraph in enumerate(inspect.cleandoc(self.help).split("\n\n")):
            if number:
                formatter.write("\n")
            for line in _wrap(" ".join(paragraph.split("\n")), width):
                formatter.write(f"{'':>{formatter.current_indent + 2}}{line}\n")

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.epilog:
            formatter.write_paragraph()
            for line in _wrap(self.epilog, formatter.width - 2):
                formatter.write(f"  {line}\n")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [r for r in (p.get_help_record(ctx) for p in self.get_params(ctx)) if r]
        _write_rows(formatter, "选项", rows)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "显示本帮助并退出。"
        return option

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            # asking for nothing is asking for the help, not a mistake
            click.echo(ctx.get_help())
            ctx.exit(0)
        allowed = ctx.allow_extra_args
        ctx.allow_extra_args = True  # so that the extra arguments are ours to word
        try:
            rest = super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.ctx = exc.ctx or ctx  # the parser leaves it out; usage_message needs it
            raise
        finally:
            ctx.allow_extra_args = allowed
        if rest and not allowed and not ctx.resilient_parsing:
            raise click.UsageError(f"多余的参数：{' '.join(rest)}", ctx)
        return rest


#: system errors of writing an output, said in one Chinese line (io.atomic.output_error)
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.EBUSY,
                  errno.ENAMETOOLONG}


class Command(_ChineseHelp, click.Command):
    pass


class Group(_ChineseHelp, click.Group):
    """Turns every error into one Chinese line, exit codes as in jixiao.cli.EXIT_CODES.

    No traceback reaches a finance officer; ``--debug`` (or JIXIAO_DEBUG=1) shows it.
    """

    command_class = Command

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(*args, **kwargs)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_options(ctx, formatter)
        rows = [(name, self.get_command(ctx, name).get_short_help_str(200))
                for name in self.list_commands(ctx)]
        _write_rows(formatter, "命令", rows)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = args[0]
        if self.get_command(ctx, name) is None and not name.startswith("-") \
                and not ctx.resilient_parsing:
            raise click.UsageError(
                f"没有命令 {name}（可用的命令：{'、'.join(self.list_commands(ctx))}）", ctx)
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            raise click.UsageError(str(exc), ctx) from None
        except JixiaoError as exc:
            raise click.ClickException(str(exc)) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            raise click.Abort() from None
        except Exception as exc:
            if isinstance(exc, OSError) and exc.errno in _OUTPUT_ERRNOS \
                    and not (ctx.obj and ctx.obj.get("debug")):
                from jixiao.io.atomic import output_error

                # a writer outside io.atomic (CSV/Parquet streams) ran out of disk or rights
                name = str(exc.filename or "") or "输出文件"
                if os.path.basename(name).startswith("."):  # our temporary: name its folder
                    name = os.path.dirname(name) or "输出文件"
                raise click.ClickException(str(output_error(name, exc))) from None
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            raise click.ClickException(
                f"程序内部错误：{type(exc).__name__}: {exc}（加 --debug 查看详情，并请反馈给维护人员）"
            ) from None

    def main(self, *args, **kwargs):
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else "jixiao"
            if exc.ctx and exc.ctx.command is self and exc.ctx.invoked_subcommand:
                command += f" {exc.ctx.invoked_subcommand}"
            click.echo(for_terminal(f"用法错误：{usage_message(exc)}（运行 {command} --help 查看用法）"),
                       err=True)
            sys.exit(2)
        except click.ClickException as exc:
            click.echo(for_terminal(f"错误：{exc.message}"), err=True)
            sys.exit(1)
        except click.Abort:
            click.echo("已中止。", err=True)
            sys.exit(INTERRUPTED)
        sys.exit(code if isinstance(code, int) else 0)


def _name_of(param: click.Parameter | None) -> str:
    if param is None:
        return "参数"
    if isinstance(param, click.Option):
        return " / ".join(param.opts)
    return param.human_readable_name.strip("[].")


def usage_message(exc: click.UsageError) -> str:
    """A usage error in Chinese, from what the exception records (never its English)."""
    if isinstance(exc, click.MissingParameter):
        kind = "选项" if isinstance(exc.param, click.Option) else "参数"
        return f"缺少{kind} {_name_of(exc.param)}"
    if isinstance(exc, click.NoSuchOption):
        guess = f"，是否想用 {'、'.join(exc.possibilities)}？" if exc.possibilities else ""
        return f"没有选项 {exc.option_name}{guess}"
    if isinstance(exc, click.BadOptionUsage):
        option = next((p for p in (exc.ctx.command.params if exc.ctx else [])
                       if exc.option_name in getattr(p, "opts", ())), None)
        if option is not None and getattr(option, "is_flag", False):
            return f"选项 {exc.option_name} 不接受值"
        nargs = getattr(option, "nargs", 1)
        return f"选项 {exc.option_name} 后面需要给出{'一个' if nargs == 1 else f' {nargs} 个'}值"
    if isinstance(exc, click.BadParameter):
        if isinstance(exc.param, click.Argument):
            return exc.message  # it names the value given, which says more than the name
        name = exc.param_hint if isinstance(exc.param_hint, str) else _name_of(exc.param)
        return f"{name} 的取值无效：{exc.message}"
    return exc.message


# ------------------------------------------------------------------ parameters in Chinese

class Option(click.Option):
    """An option whose help notes (default, required, environment variable) are Chinese."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        if self.hidden:
            return None
        names = click.formatting.join_options(self.opts)[0]
        if not self.is_flag and not self.count:
            names += f" {self.make_metavar(ctx)}"
        extra = self.get_help_extra(ctx)
        notes = []
        if "default" in extra:
            notes.append(f"默认：{extra['default']}")
        if "required" in extra:
            notes.append("必填")
        text = self.help or ""
        return names, f"{text}（{'；'.join(notes)}）" if notes else text


def option(*names: str, **kwargs: Any):
    return click.option(*names, cls=Option, **kwargs)


class Choice(click.Choice):
    def get_invalid_choice_message(self, value: Any, ctx: click.Context | None) -> str:
        return f"“{value}”不是可选的值（可选：{'、'.join(map(str, self.choices))}）"


class Count(click.ParamType):
    """A whole number of at least ``minimum`` (processes, rows)."""

    name = "N"

    def __init__(self, minimum: int = 1) -> None:
        self.minimum = minimum

    def convert(self, value: Any, param, ctx) -> int:
        try:
            number = int(str(value).strip())
        except ValueError:
            self.fail(f"“{value}”不是整数", param, ctx)
        if number < self.minimum:
            self.fail(f"{number} 小于最小值 {self.minimum}", param, ctx)
        return number


class PathParam(click.ParamType):
    """A file or folder path; ``must_exist``: it is an input (a glob that matches counts)."""

    def __init__(self, *, must_exist: bool = False, file_okay: bool = True,
                 dir_okay: bool = True, glob_okay: bool = False) -> None:
        self.must_exist, self.file_okay, self.dir_okay = must_exist, file_okay, dir_okay
        self.glob_okay = glob_okay
        self.name = "路径" if file_okay and dir_okay else ("文件" if file_okay else "目录")

    def convert(self, value: Any, param, ctx) -> str:
        path = os.fspath(value)
        if os.path.isdir(path):
            if not self.dir_okay:
                self.fail(f"“{path}”是文件夹，应给出文件", param, ctx)
        elif os.path.lexists(path):
            if not self.file_okay:
                self.fail(f"“{path}”是文件，应给出文件夹", param, ctx)
        elif self.must_exist:
            if self.glob_okay and glob.has_magic(path):
                if not glob.glob(path, recursive=True):
                    self.fail(f"没有与“{path}”匹配的文件或文件夹", param, ctx)
            else:
                self.fail(f"“{path}”不存在（当前目录：{os.getcwd()}）", param, ctx)
        return path


class ProfileParam(click.ParamType):
    """A profile name or TOML file, loaded once here so that a wrong one is a usage error."""

    name = "方案"

    def convert(self, value: Any, param, ctx) -> str:
        from jixiao.profiles import load_profile

        try:
            load_profile(value)
        except JixiaoError as exc:
            self.fail(str(exc), param, ctx)
        return value


class LimitParam(click.ParamType):
    """``NAME=VALUE`` for one of the per-file safety limits."""

    name = "名称=值"

    def convert(self, value: Any, param, ctx) -> tuple[str, int | float]:
        if isinstance(value, tuple):
            return value
        from jixiao.io.safety import Limits, parse_limit

        name, sep, raw = str(value).partition("=")
        name = name.strip().lower()
        known = "、".join(sorted(Limits.__dataclass_fields__))
        if not sep or name not in Limits.__dataclass_fields__:
            self.fail(f"无法识别的限制“{value}”；可用的名称：{known}", param, ctx)
        try:
            return name, parse_limit(name, raw)
        except ValueError as exc:
            self.fail(f"{value}：{exc}", param, ctx)


class RuleCode(click.ParamType):
    name = "代码"

    def convert(self, value: Any, param, ctx):
        from jixiao.checks.registry import get_check

        check = get_check(str(value).strip())
        if check is None:
            self.fail(f"没有代码为“{value}”的检查规则；运行 jixiao rules 查看全部规则", param, ctx)
        return check


def limits_from(pairs: tuple[tuple[str, int | float], ...]):
    """The Limits in force: defaults, then JIXIAO_* variables, then --limit options."""
    from jixiao.io.safety import Limits

    return Limits.from_env(**dict(pairs))


def limit_option(func):
    """--limit NAME=VALUE, repeatable: override one of the per-file safety limits."""
    return option(
        "--limit", "limits", multiple=True, type=LimitParam(),
        help="调整单个文件的安全限制，可重复，例如 --limit max_file_bytes=100MB "
             "--limit time_budget_s=30（也可用环境变量 JIXIAO_<名称>；见 README“安全与限制”）。",
    )(func)
