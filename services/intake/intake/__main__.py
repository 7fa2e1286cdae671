"""``python -m intake`` / ``kinerja-intake``: run the intake service."""

from __future__ import annotations

from intake.app import create_app
from intake.settings import IntakeSettings
from kinerja_shared.logs import configure_logging
from kinerja_shared.service import serve


def main() -> None:
    settings = IntakeSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
