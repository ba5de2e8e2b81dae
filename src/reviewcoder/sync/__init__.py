"""doccano sync: the REST client (the only module that talks HTTP to doccano), pull and push.

Import the pieces from their modules (``reviewcoder.sync.doccano``, ``.pull``, ``.push``); importing
this package stays light.
"""

__all__ = ["doccano", "pull", "push"]
