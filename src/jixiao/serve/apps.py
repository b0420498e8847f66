from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "jixiao.serve"
    label = "portal"
    verbose_name = "绩效自评表收集门户"
    default_auto_field = "django.db.models.BigAutoField"
