"""The command line: thin click adapters over the library functions."""

from __future__ import annotations

import errno
import os
import re
import sys
import traceback
from typing import Any

import click

from jixiao import __version__
from jixiao.errors import JixiaoError, UsageError
from jixiao.io.textout import for_terminal


# click's own usage messages (click 8.1-8.x wording), said in Chinese; anything else is
# shown as click wrote it. Tried in order, each on what the ones before left.
def _unquoted(text: str) -> str:
    return "、".join(part.strip().strip("'") for part in re.split(r", | / ", text))


_CLICK_MESSAGES: list[tuple[re.Pattern[str], Any]] = [(re.compile(p), r) for p, r in (
    (r"^Missing argument '([^']+)'\.?", r"缺少参数 \1"),
    (r"^Missing option '([^']+)'\.?", r"缺少选项 \1"),
    (r"^Option '([^']+)' requires an argument\.?", r"选项 \1 后面需要给出一个值"),
    (r"^Option '([^']+)' requires (\d+) arguments\.?", r"选项 \1 后面需要给出 \2 个值"),
    (r"^No such option:? '?([^'\s.]+)'?\.?", r"没有选项 \1"),
    (r"^No such command '([^']+)'\.?", r"没有命令 \1"),
    (r"^Got unexpected extra arguments? \((.*)\)", r"多余的参数：\1"),
    (r"\s*Did you mean '?([^?']+?)'?\?", r"，是否想用 \1？"),
    (r"\s*\(Possible options: ([^)]*)\)", lambda m: f"（可能的选项：{_unquoted(m.group(1))}）"),
    (r"^Invalid value for ((?:'[^']+'(?: / )?)+): ", lambda m: f"{_unquoted(m.group(1))} 的取值无效："),
    (r"'([^']*)' is not one of ((?:'[^']*'(?:, )?)+)\.?",
     lambda m: f"“{m.group(1)}”不是可选的值（可选：{_unquoted(m.group(2))}）"),
    (r"'([^']*)' is not a valid (?:integer(?: range)?|float(?: range)?)\.?", r"“\1”不是有效的数字"),
    (r"(\S+) is not in the range ([^.]+)\.?$", r"\1 超出允许范围（\2）"),
    (r"(?:File|Path|Directory) '([^']*)' does not exist\.?", r"“\1”不存在"),
    (r"(?:File|Path) '([^']*)' is a directory\.?", r"“\1”是文件夹，不是文件"),
)]


def usage_in_chinese(message: str) -> str:
    """A click usage message in Chinese, as far as its wording is known."""
    for pattern, replacement in _CLICK_MESSAGES:
        message = pattern.sub(replacement, message)
    return message


#: system errors of writing an output, said in one Chinese line (io.atomic.output_error)
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.EBUSY,
                  errno.ENAMETOOLONG}


class JixiaoGroup(click.Group):
    """Turns every error into one Chinese line: exit 2 for usage, 1 otherwise.

    No traceback reaches a finance officer; ``--debug`` (or JIXIAO_DEBUG=1) shows it.
    """

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
        """click's main, with its English error lines ("Error: …") said in Chinese."""
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else "jixiao"
            click.echo(for_terminal(f"用法错误：{usage_in_chinese(exc.format_message())}"
                                    f"（运行 {command} --help 查看用法）"), err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(for_terminal(f"错误：{exc.format_message()}"), err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("已中止。", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=JixiaoGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="jixiao")
@click.option("--debug", is_flag=True, default=lambda: os.environ.get("JIXIAO_DEBUG") == "1",
              help="出错时显示完整的调试信息（traceback）。")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """jixiao：财政项目支出绩效自评表 生成、审核、汇总工具。"""
    ctx.obj = {"debug": debug}


def limit_option(func):
    """--limit NAME=VALUE, repeatable: override one of the per-file safety limits."""
    return click.option(
        "--limit", "limits", multiple=True, metavar="名称=值",
        help="调整单个文件的安全限制，可重复，例如 --limit max_file_bytes=100MB "
             "--limit time_budget_s=30（也可用环境变量 JIXIAO_<名称>；见 README“安全与限制”）。",
    )(func)


def parse_limits(pairs: tuple[str, ...]):
    """The Limits in force: defaults, then JIXIAO_* variables, then --limit options."""
    from jixiao.io.safety import Limits

    environ = dict(os.environ)
    known = set(Limits.__dataclass_fields__)
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip().lower()
        if not sep or name not in known:
            raise UsageError(f"无法识别的限制“{pair}”；可用的名称：{'、'.join(sorted(known))}")
        environ[f"JIXIAO_{name.upper()}"] = value.strip()
    return Limits.from_env(environ)


@cli.command("check")
@click.argument("paths", nargs=-1, required=True)
@click.option("--profile", default=None, help="评价方案：shanghai、mof-2020、mof-2021 或 TOML 文件路径。"
              "默认按模板记录的方案，其他表用 shanghai。")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="输出格式。")
@click.option("--annotate", "annotate_dir", type=click.Path(file_okay=False), default=None,
              help="把标注了问题的副本写入此目录（原文件不会被修改）。")
@click.option("--manifest", type=click.Path(dir_okay=False), default=None,
              help="分发清单 manifest.csv：核对表单编号与预填内容指纹。")
@click.option("--secret", envvar="JIXIAO_SECRET", default=None,
              help="生成模板时使用的密钥（HMAC 指纹），也可用环境变量 JIXIAO_SECRET。")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="把结果写入文件而不是屏幕。")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="并行读取的进程数，默认等于 CPU 核数。")
@limit_option
@click.pass_context
def check_command(ctx, paths, profile, fmt, annotate_dir, manifest, secret, output, jobs,
                  limits):
    """审核退回的自评表：重新计算并报告每一处不一致。

    PATHS 可以是文件、文件夹（递归）或通配符。退出码：0 无错误，1 有错误，2 用法错误。
    """
    from jixiao.checking import check_paths
    from jixiao.report import render

    report = check_paths(paths, profile, secret=secret, manifest=manifest, jobs=jobs,
                         limits=parse_limits(limits), debug=ctx.obj["debug"],
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
    ctx.exit(1 if report.has_errors else 0)


@cli.command("rules")
@click.argument("code", required=False)
def rules_command(code: str | None) -> None:
    """列出全部检查规则；给出代码（如 F01）则显示该规则的详细说明和示例。"""
    from jixiao.checks.registry import SEVERITY_LABELS, all_checks, explain, get_check

    if code:
        chk = get_check(code.strip())
        if chk is None:
            raise click.ClickException(f"没有代码为“{code}”的检查规则；运行 jixiao rules 查看全部规则")
        click.echo(explain(chk), nl=False)
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


@cli.command("template")
@click.option("-o", "--output", required=True, type=click.Path(),
              help="空白表：输出文件（.xlsx）；配合 --projects：输出文件夹。")
@click.option("--projects", type=click.Path(exists=True, dir_okay=False), default=None,
              help="项目清单（xlsx 或 csv）：为每个项目生成预填的自评表，并写出 manifest.csv。")
@click.option("--profile", default=None, help="评价方案：shanghai（默认）、mof-2020、mof-2021 或 TOML 文件路径。")
@click.option("--year", type=int, default=None, help="年度；配合 --projects 时只生成该年度的项目。")
@click.option("--rows", type=int, default=20, show_default=True, help="空白表的绩效指标行数。")
@click.option("--money-unit", type=click.Choice(["万元", "元"]), default=None,
              help="金额单位（默认取评价方案或项目清单的单位）。")
@click.option("--group-by", type=click.Choice(["project", "unit"]), default="project",
              show_default=True, help="每个项目一个文件，或每个实施单位一个文件（每个项目一张工作表）。")
@click.option("--password", default=None, help="工作表保护密码（可选）。")
@click.option("--secret", envvar="JIXIAO_SECRET", default=None,
              help="预填内容指纹的密钥（HMAC-SHA256），也可用环境变量 JIXIAO_SECRET。")
@click.option("-j", "--jobs", "--workers", "workers", type=click.IntRange(min=1), default=None,
              help="并行进程数（默认为 CPU 核数）。")
@click.option("--force", is_flag=True, help="覆盖已存在的同名文件（默认不覆盖）。")
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


@cli.command("merge")
@click.argument("paths", nargs=-1, required=True)
@click.option("-o", "--output", type=click.Path(), default=None,
              help="汇总工作簿（默认 汇总.xlsx）；CSV/Parquet 时为文件名前缀或文件夹。")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv", "parquet"]), default="xlsx",
              show_default=True, help="输出格式。CSV/Parquet 输出 projects、indicators、findings 等多个文件。")
@click.option("--manifest", type=click.Path(dir_okay=False), default=None,
              help="分发清单 manifest.csv：标出未提交（M02）和清单外（M03）的表。")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="并行进程数（默认为 CPU 核数）。")
@click.option("--profile", default=None, help="评价方案：shanghai、mof-2020、mof-2021 或 TOML 文件路径。"
              "默认按模板记录的方案，其他表用 shanghai。")
@click.option("--secret", envvar="JIXIAO_SECRET", default=None,
              help="生成模板时使用的密钥（HMAC 指纹），也可用环境变量 JIXIAO_SECRET。")
@click.option("--quiet", "-q", is_flag=True, help="不显示进度条。")
@limit_option
def merge_command(paths, output, fmt, manifest, jobs, profile, secret, quiet, limits):
    """汇总退回的自评表：并行读取、审核，写出一个汇总工作簿（或 CSV、Parquet）。

    PATHS 可以是文件、文件夹（递归）或通配符。读不了的文件列入“未读取文件”，不会中断汇总。
    """
    from jixiao.merge import merge

    if output is None:
        output = "汇总.xlsx" if fmt == "xlsx" else "汇总"
    result = merge(paths, output=output, fmt=fmt, manifest=manifest, jobs=jobs, profile=profile,
                   quiet=quiet, secret=secret, limits=parse_limits(limits))
    click.echo(for_terminal(f"已汇总 {result.files} 个文件中的 {result.forms} 张自评表，"
                            f"未读取 {result.unreadable_files} 个文件；输出："
                            + "、".join(str(p) for p in result.outputs)), err=True)
    result.close()


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
