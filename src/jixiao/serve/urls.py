from django.urls import path
from django.views.generic import RedirectView

from jixiao.serve import views

urlpatterns = [
    path("", RedirectView.as_view(url="/rounds/", permanent=False)),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    # the bureau
    path("rounds/", views.rounds, name="rounds"),
    path("rounds/<int:round_id>/", views.dashboard, name="dashboard"),
    path("rounds/<int:round_id>/summary.xlsx", views.summary, name="summary"),
    path("rounds/<int:round_id>/accepted.zip", views.accepted_zip, name="accepted"),
    path("rounds/<int:round_id>/findings.csv", views.findings_csv, name="findings"),
    path("units/<int:unit_id>/revoke", views.unit_revoke, name="unit-revoke"),
    path("units/<int:unit_id>/renew", views.unit_renew, name="unit-renew"),
    path("forms/<int:form_id>/", views.form_detail, name="form"),
    path("forms/<int:form_id>/workbook", views.admin_workbook, name="admin-workbook"),
    path("forms/<int:form_id>/return", views.form_return, name="form-return"),
    path("forms/<int:form_id>/pass", views.form_pass, name="form-pass"),
    path("uploads/<int:upload_id>/", views.admin_upload, name="admin-upload"),
    path("uploads/<int:upload_id>/file", views.admin_upload_file, name="admin-upload-file"),
    path("uploads/<int:upload_id>/annotated", views.admin_annotated, name="admin-annotated"),
    path("explanations/<int:explanation_id>/decide", views.explanation_decide, name="decide"),
    path("audit/", views.audit, name="audit"),
    # a unit, by its link
    path("u/<slug:token>", views.unit_page, name="unit"),
    path("u/<slug:token>/upload", views.unit_upload, name="unit-upload"),
    path("u/<slug:token>/forms/<int:form_id>/workbook", views.unit_workbook, name="unit-workbook"),
    path("u/<slug:token>/forms/<int:form_id>/submit", views.unit_submit, name="unit-submit"),
    path("u/<slug:token>/uploads/<int:upload_id>/", views.unit_result, name="unit-result"),
    path("u/<slug:token>/uploads/<int:upload_id>/file", views.unit_upload_file, name="unit-upload-file"),
    path("u/<slug:token>/uploads/<int:upload_id>/annotated", views.unit_annotated, name="unit-annotated"),
    path("u/<slug:token>/uploads/<int:upload_id>/explain", views.unit_explain, name="unit-explain"),
]

handler400 = "jixiao.serve.views.bad_request"
handler403 = "jixiao.serve.views.forbidden"
handler404 = "jixiao.serve.views.not_found"
handler500 = "jixiao.serve.views.server_error"
