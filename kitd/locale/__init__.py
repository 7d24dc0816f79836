"""Localization: messages as stable ids with parameters, the gettext catalogs (nl, fr, de, en) that
render them, and the negotiation of a requested language. docs/locale.md lists the ids and says how to
add a language. The domain only builds `Message`s; rendering belongs to the API layer and the devices'
screens.
"""

from kitd.locale.catalogs import CatalogError, Catalogs, Texts, english
from kitd.locale.message import Message
from kitd.locale.negotiation import Choice

__all__ = ["CatalogError", "Catalogs", "Choice", "Message", "Texts", "english"]
