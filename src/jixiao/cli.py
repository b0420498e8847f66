"""The command line: thin click adapters over the library functions.

Everything a user reads is Chinese; ``jixiao.cli_chinese`` makes click say it.

Exit codes, one rule (printed by ``jixiao --help``, tested by tests/test_cli.py):
0 nothing wrong; 1 the inputs hold errors or could not be read; 2 the user typed something
wrong (an option, a path, a name) or the paths hold no workbook at all; 130 interrupted.
"""

from __future__ import annotations

import os
import sys

import click

from jixiao import __version__
from jixiao.cli_chinese import (Choice, Count, Group, Option, PathParam, ProfileParam, RuleCode,
                                limit_option, limits_from, option)
from jixiao.errors import JixiaoError, UsageError
from jixiao.io.textout import for_terminal

EXIT_CODES = ("退出码：0 没有错误级问题；1 输入的表有错误（含无法读取的文件）；"
              "2 用法错误：选项、路径或名称有误，或给出的路径下没有任何表格文件（多半是路径给错了）；"
              "130 被 Ctrl-C 或终止信号中止（不写出任何输出）。")
PROFILE_HELP = "评价方案：shanghai、mof-2020、mof-2021 或 TOML 文件路径。默认按模板记录的方案，其他表用 shanghai。"
INPUTS = PathParam(must_exist=True, glob_okay=True)


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
        click.echo(for_terminal(f"已写出 {len(written)} 个标注副本到 {annotate_dir}"), err=True)
        # read and checked, yet no copy: say which, or the officer looks for it in vain
        uncopied = [os.path.basename(fr.path) for fr in report.files
                    if fr.status == "ok" and not fr.copy]
        if uncopied:
            names = "、".join(uncopied[:5]) + (f" 等 {len(uncopied)} 个文件" if len(uncopied) > 5 else "")
            click.echo(for_terminal(f"{names}无法生成标注副本（工作簿结构无法写出，或占用内存过多），"
                                    "请根据上面的检查结果直接修改原文件"), err=True)
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
        click.echo(for_terminal(f"已生成空白自评表：{output}"))
    else:
        files = len({f.file for f in forms})
        click.echo(for_terminal(f"已生成 {len(forms)} 张预填自评表（{files} 个文件）和 manifest.csv：{output}"))


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
