from django.apps import AppConfig


class QalamWebConfig(AppConfig):
    """The Django app of a Qalam site: its views, the newsroom's models and the editor's templates."""

    name = "qalam.web"
    label = "qalam"
    verbose_name = "Qalam"
    default_auto_field = "django.db.models.BigAutoField"
