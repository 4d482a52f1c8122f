"""The Node.js face: the routes the deployed frontend calls, over Scribe's own services.

Each view parses the Node.js body, calls the same selectors and services as its
``/api/v1`` twin (named in its OpenAPI description), and reshapes the answer
(``legacy_api.shapes``). No rule lives here: who may see what is in the selectors'
queries (another clinician's record is a 404, a patient gets 403), every write is a
service, every model call an ``ai`` service. Errors add Node's ``msg``
(``legacy_api.errors``).
"""
