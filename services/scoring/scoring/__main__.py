"""``python -m scoring`` / ``kinerja-scoring``: run the scoring service."""

from __future__ import annotations

from kinerja_shared.logs import configure_logging
from kinerja_shared.service import serve
from scoring.app import create_app
from scoring.settings import ScoringSettings


def main() -> None:
    settings = ScoringSettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
