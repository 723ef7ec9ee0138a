"""Small helpers that view tests share."""

from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client


def english(client: Client) -> Client:
    """``client``, asking for pages in English (the default is Vietnamese)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def messages_of(response) -> list[str]:
    """The messages a response left for the user, as text."""
    return [str(m) for m in get_messages(response.wsgi_request)]
