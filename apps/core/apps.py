from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.core.signals import request_finished


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self):
        # The one place where the embedded defaults' folders are made (settings.LOCAL_DIRS):
        # the filesystem broker needs them before its first write.
        for folder in settings.LOCAL_DIRS:
            Path(folder).mkdir(parents=True, exist_ok=True)
        # A request's log context (its id...) lasts until its response is closed, so no line
        # written between two requests carries the id of the one before.
        request_finished.connect(_request_context_end, dispatch_uid="request_context_end")


def _request_context_end(**kwargs):
    from apps.core.request_context import context_end

    context_end()
