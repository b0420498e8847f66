"""A profile's indicator taxonomy (一级/二级 names) as lookup tables, for the checks that
place each indicator row in it (I11, I13, and every check that needs a row's category)."""

from __future__ import annotations

from jixiao.profiles import Profile
from jixiao.values import normalize_label


class Taxonomy:
    """A profile's 一级/二级 names as lookup tables (the taxonomy is read for every row)."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.level1_names = frozenset(profile.level1_names)
        self.level1 = _name_table(profile.level1_names)
        self.level2 = _name_table([name for lv in profile.taxonomy for name in lv.level2])
        self.level2_of: dict[str, frozenset[str]] = {}
        self.first_parent: dict[str, str] = {}
        for lv in profile.taxonomy:
            self.level2_of.setdefault(lv.name, frozenset(lv.level2))
            for name in lv.level2:
                self.first_parent.setdefault(name, lv.name)

    def place(self, level1: str | None,
              level2: str | None) -> tuple[str | None, str | None, str | None]:
        """(一级, 二级, category) the typed 一级 and 二级 stand for."""
        name1 = self.lookup(self.level1, level1)
        name2 = self.lookup(self.level2, level2)
        return name1, name2, name1 or (self.first_parent.get(name2) if name2 else None)

    @staticmethod
    def lookup(table: dict[str, str], name: str | None) -> str | None:
        """The taxonomy name ``name`` stands for (spaces, full-width, missing 指标 forgiven)."""
        return table.get(normalize_label(name)) if name else None


def _name_table(names: list[str]) -> dict[str, str]:
    table: dict[str, str] = {}
    for candidate in names:  # the first candidate a key matches wins
        table.setdefault(candidate, candidate)
        table.setdefault(candidate.removesuffix("指标"), candidate)
    return table


_TAXONOMIES: dict[int, Taxonomy] = {}


def taxonomy_of(profile: Profile) -> Taxonomy:
    """The tables of ``profile``, built once per profile object (every form of a run asks)."""
    tables = _TAXONOMIES.get(id(profile))
    if tables is None or tables.profile is not profile:
        if len(_TAXONOMIES) > 64:  # profiles made on the fly (tests, --profile x.toml)
            _TAXONOMIES.clear()
        tables = _TAXONOMIES[id(profile)] = Taxonomy(profile)
    return tables
