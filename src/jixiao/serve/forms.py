"""The fields every POST of the portal takes, through Django's forms: required fields,
lengths, and text with a NUL character (PostgreSQL cannot store one) are refused with
Django's own Chinese messages before anything is saved."""

from __future__ import annotations

from django import forms


class RoundForm(forms.Form):
    name = forms.CharField(max_length=200, required=False)
    year = forms.IntegerField(min_value=1900, max_value=2200, required=False)
    projects = forms.FileField()


class ReturnForm(forms.Form):
    reason = forms.CharField(max_length=2000)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "接受"), ("reject", "不接受")])


class ExplainForm(forms.Form):
    code = forms.CharField(max_length=10)
    cell = forms.CharField(max_length=100, required=False)
    text = forms.CharField(max_length=5000)


LABELS = {"name": "名称", "year": "年度", "projects": "项目清单", "reason": "退回原因",
          "decision": "审核结果", "code": "问题代码", "cell": "单元格", "text": "说明"}


def first_error(form: forms.Form) -> str:
    """One Chinese line for the first invalid field: its label and Django's message."""
    for name, errors in form.errors.items():
        return f"{LABELS.get(name, name)}：{errors[0]}"
    return "提交的内容无效"
