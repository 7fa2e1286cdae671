"""``python -m feedback`` / ``kinerja-feedback``: run the feedback service."""

from __future__ import annotations

from feedback.app import create_app
from feedback.settings import FeedbackSettings
from kinerja_shared.logs import configure_logging
from kinerja_shared.service import serve


def main() -> None:
    settings = FeedbackSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
