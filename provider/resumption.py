"""OAI-PMH resumption tokens for the provider: a keyset position, not an offset or a session.

A token carries everything needed to continue a list, so the server keeps no state per harvest
and a token stays valid across restarts:

    (verb, metadataPrefix, set, from, until, last datestamp, last id, cursor, completeListSize)

Why a keyset and a fixed `until`. Lists are read in (datestamp, id) order and each page starts
strictly after the last (datestamp, id) it handed out, so inserting or changing records never
shifts a later page the way an offset would (no record skipped, none served twice because
another moved). When the first request gives no `until`, the list's `until` is fixed at the
moment of that first request and every later page keeps it. A record changed while the list is
being read gets a new datestamp after that moment, so it leaves this list (or never enters it)
and is instead picked up by the client's next incremental harvest, which starts `from` the
highest datestamp this list showed (datestamps are shown at whole seconds and `from` is
inclusive, so the second the list was fixed in is asked for again). Nothing is lost; at worst a
record changed during the list is seen in the next harvest instead of this one. When the request
gives an `until` in the future, a record changed mid-list moves to a later position of the same
list and is served again there; either way it is never skipped. This relies on the merged
store stamping a record inside the transaction that writes it, and on one merge writing at a
time, so a row with a datestamp before the fixed `until` cannot commit after the list has
passed its position.

`completeListSize` is counted once, at the first request, and carried along; the
specification allows an estimate, and counting again per page would cost a query per page for
a number that only changes when records move out of the list.

The text is URL-safe base64 of compact JSON plus a keyed checksum, so a truncated, edited or
foreign token is refused as badResumptionToken instead of reaching the database. The checksum
is for integrity, not secrecy: tokens hold nothing a client could not ask for directly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

_VERSION = 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_LENGTH = 2048  # ours are ~200 characters; anything far longer is not one of ours
_MAX_INT = 2**63 - 1  # the largest row id, cursor or count a database column holds


class TokenError(ValueError):
    """A resumption token that is not one of ours, or no longer fits the request."""


@dataclass(frozen=True, slots=True)
class ResumptionToken:
    verb: str
    prefix: str
    set_spec: str | None
    since: datetime | None  # inclusive lower bound, as the first request gave it
    until: datetime  # inclusive upper bound, fixed at the first request
    after: tuple[datetime, int] | None  # the (datestamp, id) of the last row handed out
    cursor: int  # records of the list handed out before the page this token asks for
    size: int  # completeListSize as counted at the first request

    def following(self, after: tuple[datetime, int], served: int) -> ResumptionToken:
        """The token for the page after one that served `served` records ending at `after`."""
        return replace(self, after=after, cursor=self.cursor + served)

    def encode(self, key: str) -> str:
        fields = [_VERSION, self.verb, self.prefix, self.set_spec, _micros(self.since),
                  _micros(self.until), _micros(self.after[0]) if self.after else None,
                  self.after[1] if self.after else None, self.cursor, self.size]
        body = base64.urlsafe_b64encode(
            json.dumps(fields, separators=(",", ":")).encode()).rstrip(b"=").decode()
        return f"{body}.{_checksum(key, body)}"

    @classmethod
    def decode(cls, text: str, key: str) -> ResumptionToken:
        body, dot, checksum = text.partition(".")
        if (not dot or len(text) > _MAX_LENGTH
                or not hmac.compare_digest(checksum, _checksum(key, body))):
            raise TokenError("The resumption token is not one issued by this repository.")
        try:
            fields = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            (version, verb, prefix, set_spec, since, until, after_stamp, after_id, cursor,
             size) = fields
            if version != _VERSION:
                raise TokenError("The resumption token is from another version of this server.")
            after = None if after_stamp is None else (_datetime(after_stamp), int(after_id))
            cursor, size = int(cursor), int(size)
            # The key is derived from the public repository id, so a client can sign a token:
            # a position no list has (a row id no database column holds) is refused here.
            if not (0 <= cursor <= _MAX_INT and 0 <= size <= _MAX_INT) or (
                    after is not None and not 0 <= after[1] <= _MAX_INT):
                raise TokenError("The resumption token holds a position outside any list.")
            return cls(verb=str(verb), prefix=str(prefix),
                       set_spec=None if set_spec is None else str(set_spec),
                       since=None if since is None else _datetime(since),
                       until=_datetime(until), after=after, cursor=cursor, size=size)
        except TokenError:
            raise
        except (ValueError, TypeError, OverflowError) as exc:
            # Our checksum matched but the body does not parse: a bug, or a key shared by mistake.
            raise TokenError(f"The resumption token cannot be read: {exc}.") from None


def _checksum(key: str, body: str) -> str:
    return hashlib.blake2b(body.encode(), key=key.encode()[:64], digest_size=8).hexdigest()


def _micros(value: datetime | None) -> int | None:
    # Whole microseconds as an integer: exact, unlike a float of seconds.
    return None if value is None else (value - _EPOCH) // timedelta(microseconds=1)


def _datetime(micros: int) -> datetime:
    if not isinstance(micros, int) or isinstance(micros, bool):
        raise TypeError(f"{micros!r} is not a timestamp")
    return _EPOCH + timedelta(microseconds=micros)
