"""Keeping Python's cyclic garbage collector off the objects a long run holds for its whole length.

A harvest, remap, merge or export handles thousands of small dicts per page that outlive the
young generations, so the collector's full passes come every few hundred records, and each one
walks every object the process holds: the modules, pydantic's schemas, the language profiles.
Measured: a third of an export's time, 60-90 us of the ~500 us a record costs a mapping worker,
and most of unpickling a page of mapped rows in the harvest's main process.

Freezing, not disabling: a full merge that ran with the collector off grew by 0.3 KB a record
(the cyclic garbage of its unit writes was never freed: 300 MB more at a million records).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def old_objects_frozen() -> Iterator[None]:
    """Move what exists now out of the collector's sight while the block runs; nothing is
    collected less: the frozen objects are handed back at the end."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()

