from jixiao.errors import InputError
from jixiao.manifest import ManifestRow, read_manifest, write_manifest

import pytest


def test_manifest_round_trips_formula_like_text(tmp_path):
    rows = [ManifestRow("JX-1", "2024", "上海市人民政府办公厅", "=单位", "+项目", "a.xlsx", "自评表",
                        "sha256", "ab")]
    path = tmp_path / "manifest.csv"
    write_manifest(path, rows)
    raw = path.read_text(encoding="utf-8-sig")
    assert "'=单位" in raw and "'+项目" in raw  # a spreadsheet shows them as text
    assert read_manifest(path) == rows


def test_manifest_without_form_id_column_is_refused(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("项目名称,文件\nx,y\n", encoding="utf-8")
    with pytest.raises(InputError, match="表单编号"):
        read_manifest(path)


def test_manifest_row_without_id_names_the_line(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("表单编号,项目名称\nA,x\n,y\n", encoding="utf-8")
    with pytest.raises(InputError, match="第 3 行"):
        read_manifest(path)
