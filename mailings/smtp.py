"""One SMTP connection for a batch of campaign mails, and the order of steps that sends each mail
at most once even when the worker is killed (`kill -9`) at any moment.

The problem: a mail is sent, then its Delivery row is marked sent. A worker killed between the
two leaves a row that looks unsent for a mail the server accepted, and a restart sends it again.

The SMTP way out: a server takes responsibility for a message only when it reads the line with
the single "." that ends DATA, and it must discard a message whose connection closes before
that line (RFC 5321, 4.1.1.4). So each mail goes:

1. MAIL FROM, RCPT TO, DATA, then the whole dot-stuffed message WITHOUT the final ".\\r\\n"
   (`SMTPSession.begin`);
2. the row is committed as sent by a conditional UPDATE (`... WHERE id = .. AND status =
   'claimed' AND claim = <this batch's claim>`): the database decides (mailings.sending);
3. only if that UPDATE matched the row is ".\\r\\n" written (`SMTPSession.terminate`), and the
   server's reply read (`SMTPSession.read_reply`: a refusal then turns the row failed, or
   queued again for a temporary one). If the UPDATE matched nothing (the sweep gave the row to
   another batch after the lease ran out), the message is abandoned: the connection is closed
   without the terminator (`SMTPSession.abandon`) and opened again for the next mail.

A worker killed before step 2 leaves an unterminated message, which the server discards, and a
row still claimed, which the sweep queues again: it is sent once, later. Killed after step 3's
write, the kernel still delivers the terminator it already holds, and the committed row is never
sent again. What is left is the instant between the database accepting the COMMIT and the
terminator's write: there a kill loses that one mail instead of sending it twice. On PostgreSQL
mailings.sending makes that instant a few microseconds by writing the COMMIT and the terminator
back to back, before waiting for either reply (elsewhere, SQLite in `make run`, it is the
UPDATE's round trip). A connection that breaks after the terminator but before the reply
(RFC 1047's window) leaves the row sent: at most once, never twice.

Django's smtp backend settings apply (EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_USE_SSL, EMAIL_TIMEOUT): the backend opens, secures
and authenticates the connection, this class speaks the mail transactions on it.
"""

import re
import smtplib
import socket

from django.core.mail.backends.smtp import EmailBackend as SMTPBackend

# Without EMAIL_TIMEOUT a stalled server would hold a batch (and its claimed rows) forever.
DEFAULT_TIMEOUT = 60

_EOLS = re.compile(rb"(?:\r\n|\n|\r(?!\n))")
_LEADING_DOT = re.compile(rb"(?m)^\.")


class RecipientRefused(Exception):
    """RCPT TO was refused. The connection is still usable (the transaction was reset)."""

    def __init__(self, code: int, reply: bytes):
        super().__init__(code)
        self.code = code
        self.reply = reply

    @property
    def permanent(self) -> bool:
        return self.code >= 500


class MessageRefused(Exception):
    """The server answered the terminated message with something else than 250."""

    def __init__(self, code: int, reply: bytes):
        super().__init__(code)
        self.code = code
        self.reply = reply

    @property
    def permanent(self) -> bool:
        return self.code >= 500


def dot_stuffed(message: bytes) -> bytes:
    """The message as DATA carries it, without the terminating ".\\r\\n": CRLF line ends, a
    leading "." doubled, ending in CRLF."""
    data = _LEADING_DOT.sub(b"..", _EOLS.sub(b"\r\n", message))
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


class SMTPSession:
    """One connection for many mail transactions, each ended only on the caller's word.

    Connection trouble surfaces as smtplib.SMTPException or OSError; the caller then gives
    its rows back (an open, unterminated message is discarded by the server)."""

    def __init__(self, backend: SMTPBackend | None = None):
        self.backend = backend or SMTPBackend(fail_silently=False)
        if self.backend.timeout is None:
            self.backend.timeout = DEFAULT_TIMEOUT
        self.in_data = False

    @property
    def connection(self) -> smtplib.SMTP:
        if self.backend.connection is None:
            self.backend.open()
            # Each mail ends in small writes (the terminator, the next command) that wait for
            # an answer: without TCP_NODELAY, Nagle's algorithm holds each until the server's
            # delayed ACK, some 40 ms per mail.
            self.backend.connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.backend.connection

    def begin(self, from_addr: str, to_addr: str, message: bytes) -> None:
        """MAIL FROM, RCPT TO, DATA and the message, not yet terminated."""
        conn = self.connection
        conn.ehlo_or_helo_if_needed()
        data = dot_stuffed(message)
        options = []
        if conn.does_esmtp and conn.has_extn("size"):
            options.append(f"size={len(data)}")
        code, reply = conn.mail(from_addr, options)
        if code != 250:
            conn.rset()
            raise smtplib.SMTPSenderRefused(code, reply, from_addr)
        code, reply = conn.rcpt(to_addr)
        if code not in (250, 251):
            conn.rset()
            raise RecipientRefused(code, reply)
        conn.putcmd("data")
        code, reply = conn.getreply()
        if code != 354:
            conn.rset()
            raise smtplib.SMTPDataError(code, reply)
        self.in_data = True
        conn.send(data)

    def terminate(self) -> None:
        """Writes the ".\\r\\n" that hands the message over (the reply is read separately)."""
        self.connection.send(b".\r\n")
        self.in_data = False

    def read_reply(self) -> bytes:
        """The server's answer to the terminated message: its reply text (often with its
        queue id). Raises MessageRefused for anything but 250."""
        code, reply = self.connection.getreply()
        if code != 250:
            raise MessageRefused(code, reply)
        return reply

    def abandon(self) -> None:
        """Drops the connection without the terminator (and without QUIT, which inside DATA
        would be message text): the server discards the open message. The next `begin`
        connects again."""
        conn, self.backend.connection = self.backend.connection, None
        self.in_data = False
        if conn is not None:
            conn.close()

    def close(self) -> None:
        """QUIT when between messages, otherwise `abandon`."""
        if self.in_data:
            self.abandon()
            return
        try:
            self.backend.close()
        except (smtplib.SMTPException, OSError):
            self.abandon()
