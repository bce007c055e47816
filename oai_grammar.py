"""OAI-PMH 2.0 request grammar shared by our two OAI servers (the provider and the simulator):
which arguments each verb takes, the syntax of setSpecs, prefixes and datestamps."""

from __future__ import annotations

import re
from collections.abc import Mapping

ARGUMENTS = {  # verb -> (required, optional) arguments besides the verb
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset({"resumptionToken"})),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
    "ListIdentifiers": (frozenset({"metadataPrefix"}),
                        frozenset({"from", "until", "set", "resumptionToken"})),
    "ListRecords": (frozenset({"metadataPrefix"}),
                    frozenset({"from", "until", "set", "resumptionToken"})),
}
_SPEC_CHARS = r"[A-Za-z0-9\-_.!~*'()]"
SET_SPEC = re.compile(rf"{_SPEC_CHARS}+(:{_SPEC_CHARS}+)*\Z")
PREFIX = re.compile(rf"{_SPEC_CHARS}+\Z")
# [0-9], not \d: a datestamp is ASCII; \d would let "٢٠٢٤-٠٣-٠١" through to strptime.
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
SECOND = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")
MAX_ARGUMENT = 1024  # longer arguments are not ours to look up; tokens are ~200 characters
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


class OaiArgumentError(Exception):
    """A request the protocol answers with an <error> element (code as in the specification)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_arguments(args: Mapping[str, list[str]]) -> tuple[str, dict[str, str]]:
    """The verb and its single-valued arguments, or the protocol's complaint about them.

    Nothing a client sent is echoed back beyond 40 characters: error texts are XML we write.
    """
    verbs = args.get("verb") or []
    if len(verbs) != 1 or verbs[0] not in ARGUMENTS:
        what = ("missing" if not verbs else "repeated" if len(verbs) > 1
                else f"{verbs[0][:40]!r}, which is not an OAI-PMH verb")
        raise OaiArgumentError("badVerb", f"The verb argument is {what}.")
    verb = verbs[0]
    required, optional = ARGUMENTS[verb]
    params: dict[str, str] = {}
    for name, values in args.items():
        if name == "verb":
            continue
        if name not in required and name not in optional:
            raise OaiArgumentError("badArgument",
                                   f"{verb} does not take the argument {name[:40]!r}.")
        if len(values) != 1 or not values[0]:
            raise OaiArgumentError("badArgument", f"The argument {name} is repeated or empty.")
        if len(values[0]) > MAX_ARGUMENT or _NOT_XML.search(values[0]):
            raise OaiArgumentError("badArgument",
                                   f"The argument {name} is too long or not text.")
        params[name] = values[0]
    if "resumptionToken" in params and len(params) > 1:
        raise OaiArgumentError("badArgument",
                               "resumptionToken is exclusive: no other arguments with it.")
    missing = sorted(required - params.keys()) if "resumptionToken" not in params else []
    if missing:
        raise OaiArgumentError("badArgument",
                               f"{verb} needs the argument(s) {', '.join(missing)}.")
    return verb, params
