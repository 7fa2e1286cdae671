"""Kinerja's shared kernel: event contracts and the small infrastructure helpers every service uses.

Nothing here knows about a particular service. What crosses a service boundary is defined here
(events, topics, the JWT claims later) or in a documented HTTP API.
"""
