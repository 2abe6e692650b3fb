from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self):
        # The one place where the embedded defaults' folders are made (settings.LOCAL_DIRS):
        # the filesystem broker needs them before its first write.
        for folder in settings.LOCAL_DIRS:
            Path(folder).mkdir(parents=True, exist_ok=True)
