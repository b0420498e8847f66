"""The command line: thin click adapters over the library functions."""

from __future__ import annotations

import click

from jixiao import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="jixiao")
def cli() -> None:
    """jixiao：财政项目支出绩效自评表 生成、审核、汇总工具。"""


def main() -> None:
    cli()
