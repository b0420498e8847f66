"""Profiles: the indicator taxonomy, weights, grade bands and tolerances of one framework.

A profile is a TOML file. The shipped ones live in ``templates/profiles/``; a user can pass
the path of their own file (``--profile my.toml``) or drop it into a folder named by the
``JIXIAO_PROFILES`` environment variable, without touching code.
"""

from __future__ import annotations


import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path

from jixiao.errors import ProfileError

DEFAULT_PROFILE = "shanghai"

_PACKAGE_DIR = Path(__file__).resolve().parent
# Source checkout (editable install): <repo>/src/jixiao -> <repo>/templates/profiles.
# A wheel carries a copy under jixiao/data/profiles.
_SHIPPED_DIRS = (
    _PACKAGE_DIR.parent.parent / "templates" / "profiles",
    _PACKAGE_DIR / "data" / "profiles",
)


@dataclass(frozen=True)
class Level1:
    name: str
    weight: float
    level2: tuple[str, ...]


@dataclass(frozen=True)
class Tolerances:
    amount: float = 0.01
    score: float = 0.01
    score_one_decimal: float = 0.05
    rate_pct: float = 0.01
    equal_rel: float = 0.005


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    money_unit: str
    fund_weight: float
    taxonomy: tuple[Level1, ...]
    #: (grade, minimum total) from the best grade down
    grades: tuple[tuple[str, float], ...]
    tolerances: Tolerances = field(default_factory=Tolerances)
    over_achievement: float = 1.2
    reverse_rule: str = "ratio"
    description: str = ""
    path: str | None = None
    #: the 一级 categories every form of this framework must have (I13)
    required_level1: tuple[str, ...] = ("产出指标", "效益指标", "满意度指标")
    #: the operator a target without one ("20集") stands for; a bare 0 is always "="
    bare_target_operator: str = "≥"

    @property
    def level1_names(self) -> list[str]:
        return [lv.name for lv in self.taxonomy]

    def level2_of(self, level1: str) -> tuple[str, ...]:
        for lv in self.taxonomy:
            if lv.name == level1:
                return lv.level2
        return ()

    def level1_of(self, level2: str) -> list[str]:
        """Every 一级 under which this 二级 is allowed."""
        return [lv.name for lv in self.taxonomy if level2 in lv.level2]

    @property
    def default_weights(self) -> dict[str, float]:
        return {lv.name: lv.weight for lv in self.taxonomy}


def profile_dirs() -> list[Path]:
    dirs = []
    extra = os.environ.get("JIXIAO_PROFILES")
    if extra:
        dirs.extend(Path(p) for p in extra.split(os.pathsep) if p)
    dirs.extend(d for d in _SHIPPED_DIRS if d.is_dir())
    return dirs


def available_profiles() -> list[str]:
    names: set[str] = set()
    for d in profile_dirs():
        names.update(p.stem for p in d.glob("*.toml"))
    return sorted(names)


def known_profile(name: str | None) -> bool:
    """Whether ``name`` is a profile name of the known set: shipped, or in JIXIAO_PROFILES.

    What a workbook says about its own profile is checked against this before it is
    loaded: a path or an unknown name there would let a unit choose its own grading.
    """
    if not name or not isinstance(name, str):
        return False
    return name in _known_names(os.environ.get("JIXIAO_PROFILES"))


@lru_cache(maxsize=8)
def _known_names(extra_dirs: str | None) -> frozenset[str]:
    # keyed by the variable: a run reads thousands of forms with one setting
    return frozenset(available_profiles())


def load_profile(name_or_path: str | os.PathLike | None = None) -> Profile:
    """Load a profile by name (``shanghai``) or from a TOML file path."""
    return _load_cached(str(name_or_path or DEFAULT_PROFILE))


@lru_cache(maxsize=32)
def _load_cached(name_or_path: str) -> Profile:
    path = Path(name_or_path)
    if path.suffix.lower() != ".toml" or not path.is_file():
        path = next((d / f"{name_or_path}.toml" for d in profile_dirs()
                     if (d / f"{name_or_path}.toml").is_file()), None)
        if path is None:
            known = "、".join(available_profiles()) or "无"
            raise ProfileError(f"找不到评价方案（profile）“{name_or_path}”；可用的有：{known}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        from jixiao.errors import os_error_text

        raise ProfileError(f"{path}: 评价方案文件无法读取（{os_error_text(exc)}）") from None
    except UnicodeDecodeError:
        raise ProfileError(f"{path}: 评价方案文件不是 UTF-8 编码") from None
    except tomllib.TOMLDecodeError:
        raise ProfileError(f"{path}: 评价方案文件不是有效的 TOML 格式"
                           "（请检查引号、等号和方括号是否成对）") from None
    return profile_from_dict(data, source=str(path))


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{what} 应为数值")
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{what} 应为数值，而不是“{value}”") from None


def _table_array(data: dict, key: str) -> list[dict]:
    value = data.get(key)
    if value is None:
        raise ValueError(f"缺少 {key}")
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ValueError(f"{key} 应写成表格数组（[[{key}]]）")
    return value


def _texts(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{what} 应为文字列表")
    return tuple(str(x) for x in value)


def profile_from_dict(data: dict, source: str = "<dict>") -> Profile:
    """A Profile from a TOML profile's data; a mistake in it is one Chinese ProfileError."""
    try:
        taxonomy = tuple(
            Level1(name=str(item["level1"]), weight=_number(item.get("weight", 0), "taxonomy 的 weight"),
                   level2=_texts(item.get("level2", ()), "taxonomy 的 level2"))
            for item in _table_array(data, "taxonomy")
        )
        grades = tuple(sorted(((str(g["grade"]), _number(g["min"], "grades 的 min"))
                               for g in _table_array(data, "grades")), key=lambda g: -g[1]))
        tolerances = data.get("tolerances") or {}
        if not isinstance(tolerances, dict):
            raise ValueError("tolerances 应写成表（[tolerances]）")
        known = {f.name for f in fields(Tolerances)}
        for key in tolerances:
            if key not in known:
                raise ValueError(f"tolerances 中没有“{key}”这一项（可用的有：{'、'.join(sorted(known))}）")
        tol = Tolerances(**{k: _number(v, f"tolerances 的 {k}") for k, v in tolerances.items()})
        reverse_rule = str(data.get("reverse_rule", "ratio"))
        if reverse_rule not in ("ratio", "linear"):
            raise ValueError(f"reverse_rule 应为 ratio 或 linear，而不是 {reverse_rule}")
        bare_operator = str(data.get("bare_target_operator", "≥"))
        if bare_operator not in ("≥", "=", "≤"):
            raise ValueError(f"bare_target_operator 应为 ≥、= 或 ≤，而不是 {bare_operator}")
        required = data.get("required_level1")
        money_unit = str(data.get("money_unit", "万元"))
        if money_unit not in ("万元", "元"):
            raise ValueError(f"money_unit 应为 万元 或 元，而不是 {money_unit}")
        return Profile(
            name=str(data.get("name") or Path(source).stem),
            title=str(data.get("title", "项目支出绩效自评表")),
            money_unit=money_unit,
            fund_weight=_number(data.get("fund_weight", 10), "fund_weight"),
            taxonomy=taxonomy,
            grades=grades,
            tolerances=tol,
            over_achievement=_number(data.get("over_achievement", 1.2), "over_achievement"),
            reverse_rule=reverse_rule,
            description=str(data.get("description", "")),
            path=source,
            bare_target_operator=bare_operator,
            **({} if required is None else {"required_level1": _texts(required, "required_level1")}),
        )
    except KeyError as exc:
        raise ProfileError(f"{source}: 评价方案文件格式有误：缺少 {exc.args[0]}") from None
    except ValueError as exc:
        raise ProfileError(f"{source}: 评价方案文件格式有误：{exc}") from None
    except TypeError:
        raise ProfileError(f"{source}: 评价方案文件格式有误：有一项的写法不对，"
                           "请对照 templates/profiles/ 中随附的方案") from None


# ------------------------------------------------------------------ choosing one for a form

def choose_profile(record, candidates: list[Profile]) -> tuple[Profile, str]:
    """The profile a form's own evidence points to, and why (in Chinese, for the report).

    Evidence, strongest first: the title (the longest profile title the form's title ends
    with: 部门预算项目支出绩效自评表 is Sichuan's, 财政项目支出绩效自评表 Shanghai's); then
    how many of its 一级/二级 pairs the taxonomy accepts (成本指标 as a 一级 or under
    产出指标); then how close its 一级 weights are to the profile's split. Ties keep the
    order of ``candidates``.
    """
    title = _title_key(record.title)
    pairs = [(_level_key(i.level1), _level_key(i.level2)) for i in record.indicators]
    weights: dict[str, float] = {}
    for ind in record.indicators:
        if ind.level1 and ind.weight is not None:
            weights[_level_key(ind.level1)] = weights.get(_level_key(ind.level1), 0.0) + ind.weight

    def evidence(profile: Profile) -> tuple[int, int, float]:
        profile_title = _title_key(profile.title)
        title_fit = len(profile_title) if title and title.endswith(profile_title) else 0
        accepted = {(lv.name, name) for lv in profile.taxonomy for name in lv.level2}
        misfits = sum(1 for pair in pairs if pair not in accepted and pair[1] != pair[0])
        distance = sum(abs(total - profile.default_weights.get(name, 0.0))
                       for name, total in weights.items())
        return -title_fit, misfits, distance

    scored = [(evidence(p), i, p) for i, p in enumerate(candidates)]
    (title_fit, misfits, _), _, best = min(scored)
    reasons = []
    if title_fit:
        reasons.append(f"标题“{record.title}”")
    if pairs:
        reasons.append("指标体系相符" if misfits == 0 else f"指标体系最接近（{misfits} 项不符）")
    if weights:
        reasons.append("一级指标分值 " + "/".join(
            f"{name.removesuffix('指标')}{_num(total)}" for name, total in weights.items()))
    return best, "、".join(reasons) or "没有可判断的依据，用默认方案"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _title_key(title: str | None) -> str:
    if not title:
        return ""
    key = re.sub(r"[\s（）()]|\d{4}\s*年度?", "", title)
    return key


def _level_key(name: str | None) -> str:
    return (name or "").replace(" ", "").replace("\u3000", "")


def shipped_profiles() -> list[Profile]:
    """Every profile found by name (shipped and JIXIAO_PROFILES), the default first."""
    return list(_profiles_in(os.environ.get("JIXIAO_PROFILES")))


@lru_cache(maxsize=8)
def _profiles_in(extra_dirs: str | None) -> tuple[Profile, ...]:
    names = available_profiles()
    names.sort(key=lambda n: n != DEFAULT_PROFILE)
    return tuple(load_profile(name) for name in names)
