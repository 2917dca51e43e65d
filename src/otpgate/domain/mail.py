"""Email as the outbox carries it: subject, text and HTML in one sealed body.

A mail travels through the same outbox and delivery engine as an SMS, whose body is one
string; a mail's body is that string as JSON (``encode``/``decode``). Two rules keep user text
from shaping a mail (S41):

- the subject is one line (``domain.text.one_line``): no CR or LF can reach a header, so no
  header can be added or a body started by a value someone typed;
- the HTML part is built only by ``html_body``, which escapes every value put into it.

Nothing in a mail is a code that signs in (N4 3.1.3.1, S8): mails carry links that confirm an
address or act on a recovery, and notices.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape

from otpgate.domain.text import one_line

MAX_SUBJECT_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Mail:
    """One email: its subject (one line), plain text, and HTML alternative."""

    subject: str
    text: str
    html: str

    def __post_init__(self) -> None:
        # The one place a subject is accepted: whatever built it, it leaves as one line.
        object.__setattr__(self, "subject", header_safe(self.subject)[:MAX_SUBJECT_LENGTH])

    def encode(self) -> str:
        """The outbox body: what is sealed at rest and handed to a mail provider."""
        return json.dumps(
            {"subject": self.subject, "text": self.text, "html": self.html}, ensure_ascii=False
        )

    @classmethod
    def decode(cls, body: str) -> Mail:
        """The mail an outbox body holds; ``ValueError`` when it is not one."""
        try:
            data = json.loads(body)
        except json.JSONDecodeError as exc:
            raise ValueError("not a mail body") from exc
        if not isinstance(data, dict) or not all(
            isinstance(data.get(key), str) for key in ("subject", "text", "html")
        ):
            raise ValueError("not a mail body")
        return cls(subject=data["subject"], text=data["text"], html=data["html"])


def header_safe(value: str) -> str:
    """``value`` fit for a mail header: one line, no CR, LF or other control character."""
    return one_line(value.replace("\r", " ").replace("\n", " "))


def html_body(paragraphs: list[str], links: list[tuple[str, str]] | None = None) -> str:
    """A small HTML mail: each paragraph and link text escaped; links are ours (https URLs
    built from ``BASE_URL``), escaped as attributes too."""
    parts = [f"<p>{escape(text)}</p>" for text in paragraphs]
    for label, url in links or []:
        parts.append(f'<p><a href="{escape(url, quote=True)}">{escape(label)}</a></p>')
    return (
        '<!doctype html><html><body style="font-family:sans-serif;line-height:1.4">'
        + "".join(parts)
        + "</body></html>"
    )


def text_body(paragraphs: list[str], links: list[tuple[str, str]] | None = None) -> str:
    """The plain-text twin of ``html_body``."""
    lines = list(paragraphs)
    for label, url in links or []:
        lines.append(f"{label}: {url}")
    return "\n\n".join(lines) + "\n"


def compose(
    subject: str, paragraphs: list[str], links: list[tuple[str, str]] | None = None
) -> Mail:
    """A mail with the same words in text and HTML."""
    return Mail(
        subject=subject,
        text=text_body(paragraphs, links),
        html=html_body(paragraphs, links),
    )
