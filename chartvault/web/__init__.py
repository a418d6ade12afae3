"""The web app and JSON API: thin adapters over ``chartvault.service.Service``.

Pages (``pages``) sign people in with a session cookie and check a CSRF token on every
form; the API (``api``) takes a bearer in the ``Authorization`` header. Both hand the
bearer to the service, which checks the role matrix and audits; nothing here reads the
catalog or the store directly.
"""

from chartvault.web.app import create_app

__all__ = ["create_app"]
