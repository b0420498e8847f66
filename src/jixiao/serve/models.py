"""What the portal records: rounds, units and their forms, every upload, explanations,
every status change and every admin action. Files live in the data folder under paths
built from ids and hashes; the database holds everything else."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

NOT_SUBMITTED, HAS_ERRORS, SUBMITTED, RETURNED, PASSED = "未提交", "有错误", "已提交", "已退回", "已通过"
STATUSES = (NOT_SUBMITTED, HAS_ERRORS, SUBMITTED, RETURNED, PASSED)


def new_token() -> str:
    # 32 random bytes: 256 bits, far over the 128 a guessed link would need to beat
    return secrets.token_urlsafe(32)


class Round(models.Model):
    name = models.CharField(max_length=200)
    year = models.IntegerField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="units")
    name = models.CharField(max_length=500)
    token = models.CharField(max_length=64, unique=True, default=new_token)
    revoked = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Form(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="forms")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="forms")
    form_id = models.CharField(max_length=100)
    project = models.CharField(max_length=500)
    department = models.CharField(max_length=500, blank=True, default="")
    year = models.CharField(max_length=10, blank=True, default="")
    #: the manifest row as the library wrote it (file, sheet, fingerprint kind and digest)
    manifest_row = models.JSONField(default=dict)
    fingerprint = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(max_length=10, default=NOT_SUBMITTED,
                              choices=[(s, s) for s in STATUSES])
    status_changed = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["unit_id", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "form_id"], name="one_form_id_per_round")]

    def __str__(self) -> str:
        return f"{self.unit.name}《{self.project}》"

    def latest_upload(self):
        return self.uploads.order_by("-uploaded_at", "-id").first()


class Upload(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="uploads")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="uploads")
    #: the form the check matched; None: the file matched none of the unit's forms (kept)
    form = models.ForeignKey(Form, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="uploads")
    sha256 = models.CharField(max_length=64)
    #: one of the readers' known extensions (chosen from our list, never the name's text)
    ext = models.CharField(max_length=8, blank=True, default="")
    original_name = models.CharField(max_length=500)
    size = models.BigIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)
    #: one entry of ``jixiao check --format json``'s "files"
    result = models.JSONField(default=dict)
    errors = models.IntegerField(default=0)
    warnings = models.IntegerField(default=0)
    infos = models.IntegerField(default=0)
    grade = models.CharField(max_length=20, blank=True, default="")
    #: why the upload matched no form (Chinese, shown on the page)
    note = models.TextField(blank=True, default="")
    #: the annotated copy: "" not made yet (made on first download), "yes", "no" (cannot be)
    annotated = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    @property
    def can_annotate(self) -> bool:
        """A copy can be offered: the file was read (an unreadable one has no cells to
        mark) and writing it has not failed before."""
        return self.result.get("status") == "ok" and self.annotated != "no"


class Explanation(models.Model):
    PENDING, ACCEPTED, REJECTED = "", "accept", "reject"
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="explanations")
    upload = models.ForeignKey(Upload, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    code = models.CharField(max_length=10)
    cell = models.CharField(max_length=100, blank=True, default="")
    text = models.TextField()
    created = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(max_length=10, blank=True, default="",
                                choices=[("", "待审核"), ("accept", "已接受"), ("reject", "未接受")])
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    @property
    def decision_label(self) -> str:
        return {"": "待审核", "accept": "已接受", "reject": "未接受"}[self.decision]


class StatusChange(models.Model):
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="status_changes")
    old = models.CharField(max_length=10)
    new = models.CharField(max_length=10)
    reason = models.TextField(blank=True, default="")
    #: the admin who changed it; None: the unit (through its link) or the upload's check
    by_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    by_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]


class AuditEntry(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150, blank=True, default="")
    action = models.CharField(max_length=50)
    target = models.CharField(max_length=200, blank=True, default="")
    detail = models.TextField(blank=True, default="")
    address = models.CharField(max_length=100, blank=True, default="")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
