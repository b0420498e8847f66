"""The command line: thin click adapters over the library functions.

Everything a user reads is Chinese, and it comes from click's own hooks, never from
rewriting its English: the command classes lay out the usage line, the sections and the
help option; the parameter types fail with Chinese messages; ``main`` words click's
exceptions from their attributes (which option, which value).

Exit codes, one rule (printed by ``jixiao --help``, tested by tests/test_cli.py):
0 nothing wrong; 1 the inputs hold errors or could not be read; 2 the user typed something
wrong (an option, a path, a name) or the paths hold no workbook at all.
"""

from __future__ import annotations

import glob
import inspect
import errno
import os
import re
import sys
import traceback
import unicodedata
from typing import Any

import click

from jixiao import __version__
from jixiao.errors import JixiaoError, UsageError
from jixiao.io.textout import for_terminal

EXIT_CODES = ("退出码：0 没有错误级问题；1 输入的表有错误（含无法读取的文件）；"
              "2 用法错误：选项、路径或名称有误，或给出的路径下没有任何表格文件（多半是路径给错了）；"
              "130 被 Ctrl-C 或终止信号中止（不写出任何输出）。")

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
    """Turns every error into one Chinese line, exit codes as in EXIT_CODES.

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


PROFILE_HELP = "评价方案：shanghai、mof-2020、mof-2021 或 TOML 文件路径。默认按模板记录的方案，其他表用 shanghai。"
INPUTS = PathParam(must_exist=True, glob_okay=True)


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


# ------------------------------------------------------------------ the commands

@click.group(cls=Group, epilog=EXIT_CODES,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", cls=Option, prog_name="jixiao",
                      message="%(prog)s %(version)s", help="显示版本号并退出。")
@option("--debug", is_flag=True, default=lambda: os.environ.get("JIXIAO_DEBUG") == "1",
        help="出错时显示完整的调试信息（traceback）。")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """jixiao：财政项目支出绩效自评表 生成、审核、汇总工具。"""
    ctx.obj = {"debug": debug}


@cli.command("check", epilog=EXIT_CODES)
@click.argument("paths", nargs=-1, required=True, metavar="路径...", type=INPUTS)
@option("--profile", type=ProfileParam(), default=None, help=PROFILE_HELP)
@option("--format", "fmt", type=Choice(["table", "json", "csv"]), default="table",
        show_default=True, help="输出格式。")
@option("--annotate", "annotate_dir", type=PathParam(file_okay=False), default=None,
        help="把标注了问题的副本写入此目录（原文件不会被修改）。")
@option("--manifest", type=PathParam(must_exist=True, dir_okay=False), default=None,
        help="分发清单 manifest.csv：核对表单编号与预填内容指纹。")
@option("--secret", envvar="JIXIAO_SECRET", default=None, metavar="密钥",
        help="生成模板时使用的密钥（HMAC 指纹），也可用环境变量 JIXIAO_SECRET。")
@option("-o", "--output", type=PathParam(dir_okay=False), default=None,
        help="把结果写入文件而不是屏幕。")
@option("-j", "--jobs", type=Count(), default=None, help="并行读取的进程数，默认等于 CPU 核数。")
@limit_option
@click.pass_context
def check_command(ctx, paths, profile, fmt, annotate_dir, manifest, secret, output, jobs,
                  limits):
    """审核退回的自评表：重新计算并报告每一处不一致。

    路径可以是文件、文件夹（递归）或通配符。
    """
    from jixiao.checking import check_paths
    from jixiao.report import render

    report = check_paths(paths, profile, secret=secret, manifest=manifest, jobs=jobs,
                         limits=limits_from(limits), debug=ctx.obj["debug"],
                         output=output, annotate_dir=annotate_dir)
    text = render(report, fmt)
    if output:
        from jixiao.io.atomic import write_text_atomic
        write_text_atomic(output, text)
    else:
        click.echo(for_terminal(text), nl=False)
    if annotate_dir:  # written by check_paths, each in its worker
        failed = next((fr.copy_error for fr in report.files if fr.copy_error), None)
        if failed:
            raise JixiaoError(failed)
        written = [fr.copy for fr in report.files if fr.copy]
        click.echo(f"已写出 {len(written)} 个标注副本到 {annotate_dir}", err=True)
        # read and checked, yet no copy: say which, or the officer looks for it in vain
        uncopied = [os.path.basename(fr.path) for fr in report.files
                    if fr.status == "ok" and not fr.copy]
        if uncopied:
            names = "、".join(uncopied[:5]) + (f" 等 {len(uncopied)} 个文件" if len(uncopied) > 5 else "")
            click.echo(f"{names}无法生成标注副本（工作簿结构无法写出，或占用内存过多），"
                       "请根据上面的检查结果直接修改原文件", err=True)
    ctx.exit(1 if report.has_errors else 0)


@cli.command("rules")
@click.argument("check", required=False, metavar="[代码]", type=RuleCode())
def rules_command(check) -> None:
    """列出全部检查规则；给出代码（如 F01）则显示该规则的详细说明和示例。"""
    from jixiao.checks.registry import SEVERITY_LABELS, all_checks, explain

    if check is not None:
        click.echo(explain(check), nl=False)
        return
    rows = [(c.code, SEVERITY_LABELS[c.severity], c.title) for c in all_checks()]
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table("代码", "级别", "检查内容", box=None)
        for row in rows:
            table.add_row(*row)
        Console().print(table)
    else:
        click.echo("\n".join(f"{c}  {s}  {t}" for c, s, t in rows))


@cli.command("template", epilog=EXIT_CODES)
@option("-o", "--output", required=True, type=PathParam(),
        help="空白表：输出文件（.xlsx）；配合 --projects：输出文件夹。")
@option("--projects", type=PathParam(must_exist=True, dir_okay=False), default=None,
        help="项目清单（xlsx 或 csv）：为每个项目生成预填的自评表，并写出 manifest.csv。")
@option("--profile", type=ProfileParam(), default=None,
        help="评价方案：shanghai（默认）、mof-2020、mof-2021 或 TOML 文件路径。")
@option("--year", type=Count(minimum=1900), default=None, metavar="年度",
        help="年度；配合 --projects 时只生成该年度的项目。")
@option("--rows", type=Count(), default=20, show_default=True, help="空白表的绩效指标行数。")
@option("--money-unit", type=Choice(["万元", "元"]), default=None,
        help="金额单位（默认取评价方案或项目清单的单位）。")
@option("--group-by", type=Choice(["project", "unit"]), default="project",
        show_default=True, help="每个项目一个文件，或每个实施单位一个文件（每个项目一张工作表）。")
@option("--password", default=None, metavar="密码", help="工作表保护密码（可选）。")
@option("--secret", envvar="JIXIAO_SECRET", default=None, metavar="密钥",
        help="预填内容指纹的密钥（HMAC-SHA256），也可用环境变量 JIXIAO_SECRET。")
@option("-j", "--jobs", "--workers", "workers", type=Count(), default=None,
        help="并行进程数（默认为 CPU 核数）。")
@option("--force", is_flag=True, help="覆盖已存在的同名文件（默认不覆盖）。")
def template_command(output, projects, profile, year, rows, money_unit, group_by, password,
                     secret, workers, force):
    """生成标准自评表：空白表，或按项目清单批量生成预填表。"""
    from jixiao.template import write_template

    forms = write_template(output, projects=projects, profile=profile, year=year, rows=rows,
                           money_unit=money_unit, group_by=group_by, password=password,
                           secret=secret, workers=workers, force=force)
    if projects is None:
        click.echo(f"已生成空白自评表：{output}")
    else:
        files = len({f.file for f in forms})
        click.echo(f"已生成 {len(forms)} 张预填自评表（{files} 个文件）和 manifest.csv：{output}")


@cli.command("merge", epilog=EXIT_CODES)
@click.argument("paths", nargs=-1, required=True, metavar="路径...", type=INPUTS)
@option("-o", "--output", type=PathParam(), default=None,
        help="汇总工作簿（默认 汇总.xlsx）；CSV/Parquet 时为文件名前缀或文件夹。")
@option("--format", "fmt", type=Choice(["xlsx", "csv", "parquet"]), default=None,
        help="输出格式（默认取 -o 的扩展名，没有扩展名时为 xlsx）。"
             "CSV/Parquet 输出 projects、indicators、findings 等多个文件。")
@option("--partition", is_flag=True,
        help="Parquet 输出时，每张表写成按年度、主管部门分区的数据集文件夹（年度=…/主管部门=…），"
             "便于用 pandas、polars、DuckDB 只读取需要的部分。")
@option("--manifest", type=PathParam(must_exist=True, dir_okay=False), default=None,
        help="分发清单 manifest.csv：标出未提交（M02）和清单外（M03）的表。")
@option("-j", "--jobs", type=Count(), default=None, help="并行进程数（默认为 CPU 核数）。")
@option("--profile", type=ProfileParam(), default=None, help=PROFILE_HELP)
@option("--secret", envvar="JIXIAO_SECRET", default=None, metavar="密钥",
        help="生成模板时使用的密钥（HMAC 指纹），也可用环境变量 JIXIAO_SECRET。")
@option("-q", "--quiet", is_flag=True, help="不显示进度条。")
@limit_option
@click.pass_context
def merge_command(ctx, paths, output, fmt, partition, manifest, jobs, profile, secret, quiet, limits):
    """汇总退回的自评表：并行读取、审核，写出一个汇总工作簿（或 CSV、Parquet）。

    路径可以是文件、文件夹（递归）或通配符。读不了的文件列入“未读取文件”，不会中断汇总。
    """
    from jixiao.merge import merge, output_format

    fmt = output_format(output, fmt)
    if output is None:
        output = "汇总.xlsx" if fmt == "xlsx" else "汇总"
    result = merge(paths, output=output, fmt=fmt, manifest=manifest, jobs=jobs, profile=profile,
                   quiet=quiet, secret=secret, limits=limits_from(limits), partition=partition)
    click.echo(for_terminal(f"已汇总 {result.files} 个文件中的 {result.forms} 张自评表，"
                            f"未读取 {result.unreadable_files} 个文件；输出："
                            + "、".join(str(p) for p in result.outputs)), err=True)
    failed = result.errors > 0 or result.unreadable_files > 0
    result.close()
    ctx.exit(1 if failed else 0)


SERVE_DB_HELP = ("数据库地址：sqlite:///路径 或 postgresql://用户@主机:端口/库名；"
                 "也可用环境变量 JIXIAO_DB；默认为数据目录下的 jixiao.sqlite3。")


def serve_data_option(required: bool):
    return option("--data", type=PathParam(file_okay=False), required=required, default=None,
                  metavar="目录", help="门户的数据目录（数据库、上传的文件、生成的预填表）。")


@cli.group("serve", cls=Group, invoke_without_command=True, epilog=EXIT_CODES)
@serve_data_option(required=False)
@option("--host", default="127.0.0.1", show_default=True, metavar="地址",
        help="监听地址；0.0.0.0 表示所有网卡（请放在单位的反向代理之后）。")
@option("--port", type=Count(minimum=1), default=8000, show_default=True, help="监听端口。")
@option("--db", envvar="JIXIAO_DB", default=None, metavar="地址", help=SERVE_DB_HELP)
@click.pass_context
def serve_group(ctx, data, host, port, db):
    """收集门户：各单位通过专用链接上传自评表并立即看到审核结果（需安装 jixiao[serve]）。

    不带子命令时启动门户（waitress）；先用 jixiao serve init 初始化数据目录。
    """
    if ctx.invoked_subcommand is not None:
        return
    if data is None:
        raise click.UsageError("缺少选项 --data", ctx)
    _serve_commands().serve(data, db, host, port, click.echo)


def _serve_commands():
    try:
        from jixiao.serve import commands
    except ImportError as exc:
        raise JixiaoError(f"门户需要额外的依赖，请先安装：pip install 'jixiao[serve]'（缺少 {exc.name}）") from None
    return commands


@serve_group.command("init", epilog=EXIT_CODES)
@serve_data_option(required=True)
@option("--admin", default="admin", show_default=True, metavar="用户名", help="管理员用户名。")
@option("--admin-password-stdin", "password_stdin", is_flag=True,
        help="从标准输入读取管理员密码（否则生成一个随机密码并显示一次）。")
@option("--db", envvar="JIXIAO_DB", default=None, metavar="地址", help=SERVE_DB_HELP)
def serve_init_command(data, admin, password_stdin, db):
    """初始化门户：创建数据目录、数据库和管理员账户（已有的管理员密码不会被重置）。"""
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UsageError("从标准输入读到的密码为空")
    _serve_commands().init(data, admin, password, db, click.echo)


@serve_group.command("round", epilog=EXIT_CODES)
@serve_data_option(required=True)
@option("--projects", type=PathParam(must_exist=True, dir_okay=False), required=True,
        help="项目清单（xlsx 或 csv，同 jixiao template --projects）。")
@option("--year", type=Count(minimum=1900), default=None, metavar="年度", help="只收集该年度的项目。")
@option("--name", default=None, metavar="名称", help="收集轮次的名称。")
@option("--db", envvar="JIXIAO_DB", default=None, metavar="地址", help=SERVE_DB_HELP)
def serve_round_command(data, projects, year, name, db):
    """从项目清单创建收集轮次：生成预填表和分发清单，每个实施单位输出一行“单位<TAB>专用链接”。"""
    for unit, link in _serve_commands().create_round(data, db, projects, year, name):
        click.echo(for_terminal(f"{unit}\t{link}"))


def main() -> None:
    import warnings

    # xlsxwriter warns with its own source path when a write fails (the error is said in
    # Chinese once, by the command)
    warnings.filterwarnings("ignore", module="xlsxwriter")
    import signal

    def terminated(signum, frame):  # SIGTERM stops like Ctrl-C: workers ended, temporaries removed
        raise KeyboardInterrupt

    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, terminated)
    if os.environ.get("JIXIAO_DEBUG") != "1":
        # a writer's zip closed by the garbage collector after a full disk prints
        # "Exception ignored in ZipFile.__del__" with a traceback: the command said why
        sys.unraisablehook = lambda unraisable: None
    cli()
