"""Feedback's composition root: settings → store, people view, publisher → reference consumer,
HTTP routes of the performance dialogue."""

from __future__ import annotations

from fastapi import FastAPI

from feedback import console_pages
from feedback.api import mount_dialogue
from feedback.coaching_record import CoachingRecords
from feedback.console import mount_console
from feedback.consumer import ReferenceConsumer
from feedback.dialogue import Dialogue
from feedback.gateway import ServiceGateway
from feedback.objections import Objections
from feedback.publisher import Publisher
from feedback.settings import FeedbackSettings
from feedback.store import FeedbackStore
from kinerja_shared.auth import JwtVerifier
from kinerja_shared.clock import SystemClock
from kinerja_shared.people import PeopleView
from kinerja_shared.service import Runtime, create_service_app, export_consumer_lag, new_runtime


def create_app(settings: FeedbackSettings | None = None) -> FastAPI:
    settings = settings or FeedbackSettings()
    runtime = new_runtime(settings, with_mongo=True)
    store = FeedbackStore(runtime.db)
    people = PeopleView(runtime.db)
    publisher = Publisher(runtime.broker, store, settings.topics.feedback)
    ReferenceConsumer(runtime.broker, people, settings, runtime.registry).register()
    export_consumer_lag(runtime, settings.consumer_group, [settings.topics.reference])
    # The console's server side reads scoring's and intake's APIs with the reader's token.
    scoring = ServiceGateway(settings.scoring_url, "penilaian (scoring)")
    intake = ServiceGateway(settings.intake_url, "penerimaan data (intake)")

    async def start(_: Runtime) -> None:
        await store.prepare()

    async def started(_: Runtime) -> None:
        await publisher.retry_pending()  # what a crash left in the outbox
        publisher.start(settings.outbox_retry_s)

    async def stop(_: Runtime) -> None:
        await publisher.stop()
        await scoring.close()
        await intake.close()

    runtime.on_start.append(start)
    runtime.on_started.append(started)
    runtime.on_stop.insert(0, stop)
    app = create_service_app(
        runtime,
        title="Kinerja feedback",
        description="Supervisors' feedback, the performance dialogue and the supervisor console.",
        # Its outbox holds what Kafka cannot take yet: the dialogue goes on while Kafka is away.
        ready_needs=("mongodb",),
    )
    _mount_routes(app, settings, store, people, publisher, scoring)
    app.state.intake = intake
    app.state.publisher = publisher
    return app


def _mount_routes(
    app: FastAPI,
    settings: FeedbackSettings,
    store: FeedbackStore,
    people: PeopleView,
    publisher: Publisher,
    scoring: ServiceGateway,
) -> None:
    """The dialogue's use cases and routes, and the console's."""
    verifier = JwtVerifier.from_settings(settings)
    clock = SystemClock()
    dialogue = Dialogue(store, people, publisher, clock)
    mount_dialogue(
        app,
        dialogue,
        Objections(store, people, publisher, clock),
        CoachingRecords(dialogue, people, store, clock, settings.document_place),
        verifier,
    )
    mount_console(
        app,
        notifier_url=settings.notifier_public_url,
        dev_secret=settings.hs256_secret if settings.dev_mode else None,
    )
    app.include_router(console_pages.router)
    app.state.people = people
    app.state.clock = clock
    app.state.scoring = scoring
    app.state.store = store
