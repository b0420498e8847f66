"""Files per second for the reading edge on a ~45 x 9 form written by xlsxwriter.

    python benchmarks/readers.py [N_FILES]

Prints, for the same N copies of one form: the safety gate alone (sniff + zip checks),
calamine reading alone (what read_grids does after the gate), read_grids (gate + read),
with percent formats, and the isolated reader (read_grids in a kept child process, one
pipe round trip a file).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter

from jixiao.io import readers
from jixiao.io.readers import IsolatedReader, read_grids
from jixiao.io.safety import Limits, check_file


def write_form(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    ws = wb.add_worksheet("自评表")
    label = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True})
    cell = wb.add_format({"border": 1, "text_wrap": True})
    money = wb.add_format({"border": 1, "num_format": "#,##0.00"})
    pct = wb.add_format({"border": 1, "num_format": "0.00%"})
    ws.merge_range("A1:I1", "财政项目支出绩效自评表", label)
    ws.merge_range("A2:I2", "（2024年度）", label)
    ws.write("A3", "项目名称", label)
    ws.merge_range("B3:I3", "市政府办公厅专项工作业务经费", cell)
    ws.write("A4", "主管部门", label)
    ws.merge_range("B4:E4", "上海市人民政府办公厅", cell)
    ws.write("F4", "实施单位", label)
    ws.merge_range("G4:I4", "上海市人民政府办公厅", cell)
    ws.merge_range("A5:A9", "项目资金（万元）", label)
    for c, text in enumerate(["", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"], start=1):
        ws.write(4, c, text, label)
    for r, name in enumerate(["年度资金总额", "其中：当年财政拨款", "上年结转资金", "其他资金"], start=5):
        ws.write(r, 1, name, cell)
        ws.write_number(r, 2, 409.9 - r, money)
        ws.write_number(r, 3, 495.4 - r, money)
        ws.write_number(r, 4, 492.92 - r, money)
        ws.write_formula(r, 6, f"=E{r + 1}/D{r + 1}", pct, 0.995)
    ws.write_number(5, 5, 10)
    ws.write_formula(5, 7, "=F6*MIN(G6,1)", money, 9.95)
    ws.merge_range("A10:A11", "年度总体目标", label)
    ws.merge_range("B10:E10", "预期目标", label)
    ws.merge_range("F10:I10", "实际完成情况", label)
    ws.merge_range("B11:E11", "为市政府领导正常履职，提供好经费保障和各项业务保障。", cell)
    ws.merge_range("F11:I11", "各业务处室通力合作，较好地完成了各项工作。", cell)
    n = 31
    ws.merge_range(f"A12:A{12 + n}", "绩效指标", label)
    for c, text in enumerate(["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                              "偏差原因分析及改进措施"], start=1):
        ws.write(11, c, text, label)
    for i in range(n):
        r = 12 + i
        ws.write(r, 1, ["产出指标", "效益指标", "满意度指标"][i % 3], cell)
        ws.write(r, 2, ["数量指标", "社会效益指标", "服务对象满意度指标"][i % 3], cell)
        ws.write(r, 3, f"指标{i + 1}", cell)
        ws.write(r, 4, "≥90%", cell)
        ws.write(r, 5, f"{95 + i % 5}%", cell)
        ws.write_number(r, 6, 3)
        ws.write_number(r, 7, 3)
        ws.write(r, 8, "", cell)
    ws.merge_range(f"A{13 + n}:F{13 + n}", "总分", label)
    ws.write_formula(12 + n, 6, f"=F6+SUM(G13:G{12 + n})", None, 103)
    ws.write_formula(12 + n, 7, f"=H6+SUM(H13:H{12 + n})", None, 102.95)
    ws.write(13 + n, 0, "评分等级", label)
    ws.write(13 + n, 7, "优", cell)
    wb.close()


def rate(label: str, paths: list[Path], read) -> float:
    """Files per second by wall clock, and by this process's CPU time (steadier when other
    work shares the machine; it leaves out the isolated reader's child)."""
    read(paths[0])  # warm imports and caches
    wall, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        read(path)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    per_s = len(paths) / wall
    print(f"{label:46} {per_s:7.0f} files/s wall {1000 * wall / len(paths):6.2f} ms"
          f"   cpu {1000 * cpu / len(paths):6.2f} ms/file")
    return per_s


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    limits = Limits()
    with tempfile.TemporaryDirectory() as tmp:
        first = Path(tmp) / "form_0.xlsx"
        write_form(first)
        paths = [first]
        for i in range(1, n):
            paths.append(Path(tmp) / f"form_{i}.xlsx")
            shutil.copy(first, paths[-1])
        grid = read_grids(first)[0]
        print(f"{n} copies of a {grid.height} x {grid.width} form ({first.stat().st_size:,} bytes), one process")
        rate("gate only (sniff + check_zip)", paths, lambda p: check_file(p, limits))
        rate("read without the gate (calamine -> Grid)", paths,
             lambda p: readers._read_workbook(p, "xlsx", limits, time.monotonic() + 60))
        rate("read_grids (gate + read)", paths, lambda p: read_grids(p, limits))
        rate("read_grids(percent_formats=True)", paths, lambda p: read_grids(p, limits, percent_formats=True))
        with IsolatedReader(limits) as reader:
            rate("IsolatedReader.read (child process + pipe)", paths, reader.read)


if __name__ == "__main__":
    main()
