import logging
import re

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def scrub(text: str) -> str:
    """Masks e-mail addresses and escapes line breaks, so a log line neither carries an
    address nor can be forged by a value with a newline in it."""
    text = EMAIL_RE.sub("[email]", text)
    return text.replace("\r", "\\r").replace("\n", "\\n")


class ScrubPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logged as it is
            return True
        record.msg = scrub(message)
        record.args = None
        return True
