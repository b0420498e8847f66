"""``jixiao serve``: the collection portal, a thin Django layer over the library.

The library stays the product: this package imports jixiao, never the reverse (the CLI
imports it only when a ``serve`` command runs). Django is configured in code from the
data folder and the database URL (:func:`setup`), so there is no settings module to edit
and nothing of the portal exists until a serve command or a test asks for it.

Layout of the data folder (every path below it is built from ids and hashes only)::

    DATA/secret_key            Django's SECRET_KEY, mode 600, written by ``serve init``
    DATA/jixiao.sqlite3        the default database
    DATA/rounds/<id>/source/   the projects list a round was created from
    DATA/rounds/<id>/forms/    the prefilled workbooks and manifest.csv of the round
    DATA/uploads/ab/cdef…      every upload, content-addressed, never overwritten
    DATA/annotated/…           annotated copies, by upload hash and round
    DATA/tmp/                  request bodies and check/merge staging
"""

from __future__ import annotations

from jixiao.serve.config import setup

__all__ = ["setup"]
