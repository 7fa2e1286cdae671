"""``python -m notifier`` / ``kinerja-notifier``: run the notifier service."""

from __future__ import annotations

from kinerja_shared.logs import configure_logging
from kinerja_shared.service import serve
from notifier.app import create_app
from notifier.settings import NotifierSettings


def main() -> None:
    settings = NotifierSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
