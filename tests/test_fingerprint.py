"""The fingerprint of the prefilled (locked) values and the cells that changed."""

from __future__ import annotations

import copy

from jixiao.fingerprint import changed_fields, fingerprint, locked_values, verify
from jixiao.model import FormRecord, FundRow, Funds, Indicator


def _record() -> FormRecord:
    return FormRecord(
        year=2024, project="市政府法律事务工作经费", department="上海市人民政府办公厅",
        unit="上海市人民政府办公厅", money_unit="万元",
        funds=Funds(current_year=FundRow(initial=45.0, budget=45.0, cells={"initial": "C7", "budget": "D7"}),
                    carryover=FundRow(initial=0.0, budget=0.0, cells={"initial": "C8", "budget": "D8"}),
                    other=FundRow(initial=0.0, budget=0.0)),
        indicators=[Indicator("产出指标", "数量指标", "完成全市培训数", "≥1次", weight=20.0,
                              cells={"target": "E13", "weight": "G13", "name": "D13"}),
                    Indicator("产出指标", "时效指标", "年中预算执行率", "≥60%", weight=20.0,
                              cells={"target": "E14", "weight": "G14", "name": "D14"})],
        cells={"project": "B3", "year": "A2"})


def test_locked_values_hold_only_what_was_prefilled():
    locked = locked_values(_record())
    assert locked["year"] == 2024 and locked["funds"]["current_year"] == {"initial": 45, "budget": 45}
    assert locked["indicators"][1] == {"row": 1, "level1": "产出指标", "level2": "时效指标",
                                       "name": "年中预算执行率", "target": "≥60%", "weight": 20}
    assert "goal_expected" not in locked and "actual" not in locked["indicators"][0]
    assert locked_values(FormRecord(year=2024)) == {"year": 2024}


def test_fingerprint_kinds_and_verification():
    locked = locked_values(_record())
    kind, digest = fingerprint(locked)
    assert kind == "sha256" and len(digest) == 64
    hkind, hdigest = fingerprint(locked, "secret")
    assert hkind == "hmac-sha256" and hdigest != digest
    assert fingerprint(locked, "other")[1] != hdigest
    assert verify(locked, kind, digest) is True
    assert verify(locked, hkind, hdigest, "secret") is True
    assert verify(locked, hkind, hdigest, "wrong") is False
    assert verify(locked, hkind, hdigest) is None  # no secret: cannot tell
    tampered = copy.deepcopy(locked)
    tampered["indicators"][1]["target"] = "≥30%"
    assert verify(tampered, kind, digest) is False
    # 45 and 45.0 are the same figure: a re-read form must not look changed
    assert fingerprint({"a": 45.0}) == fingerprint({"a": 45})


def test_changed_fields_name_the_cell():
    locked = locked_values(_record())
    returned = _record()
    assert changed_fields(returned, locked) == []
    returned.indicators[1].target = "≥30%"
    returned.funds.current_year.budget = 50.0
    returned.project = "市政府法律事务工作经费 "  # a trailing space is no change
    assert changed_fields(returned, locked) == [
        ("当年财政拨款全年预算数", "D7", 45, 50.0),
        ("第2项指标年度指标值", "E14", "≥60%", "≥30%"),
    ]


def test_a_row_inserted_into_the_block_does_not_shift_the_comparison():
    locked = locked_values(_record())
    returned = _record()
    returned.indicators.insert(0, Indicator("产出指标", "质量指标", "新增指标", "≥90%", weight=5.0))
    returned.indicators[2].weight = 15.0
    assert changed_fields(returned, locked) == [("第2项指标分值", "G14", 20, 15.0)]


def test_text_typed_where_a_locked_number_was():
    locked = locked_values(_record())
    returned = _record()
    returned.indicators[0].weight = None
    returned.indicators[0].unparsed["weight"] = "二十"
    assert changed_fields(returned, locked) == [("第1项指标分值", "G13", 20, "二十")]


def test_the_stored_text_is_verified_as_it_is_and_rewritten_text_by_its_values():
    import json

    from jixiao.fingerprint import canonical_json

    locked = locked_values(_record())
    stored = canonical_json(locked)
    kind, digest = fingerprint(locked, "key")
    assert verify(json.loads(stored), kind, digest, "key", stored_json=stored) is True
    # a program that re-saved the metadata may re-encode the text: same values, still true
    rewritten = json.dumps(locked, ensure_ascii=True, indent=1)
    assert rewritten != stored
    assert verify(json.loads(rewritten), kind, digest, "key", stored_json=rewritten) is True
    # a changed value in the text is caught whether or not the text is given
    tampered = stored.replace("≥60%", "≥50%")
    assert tampered != stored
    assert verify(json.loads(tampered), kind, digest, "key", stored_json=tampered) is False
    assert verify(json.loads(tampered), kind, digest, "wrong", stored_json=stored) is False
