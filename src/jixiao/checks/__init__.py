"""Checks over one form; see ``registry`` for how a check is declared."""

from jixiao.checks.registry import REGISTRY, Check, Hit, all_checks, get_check, run_checks

__all__ = ["REGISTRY", "Check", "Hit", "all_checks", "get_check", "run_checks"]
