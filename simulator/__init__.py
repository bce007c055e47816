"""A local OAI-PMH 2.0 partner serving generated records, with fault switches and a control API."""

from simulator.faults import Faults
from simulator.feed import Feed
from simulator.server import SimulatorServer

__all__ = ["Faults", "Feed", "SimulatorServer"]
