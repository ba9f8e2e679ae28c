"""netops: operations manager for a regional e-government WAN and its video-conference network.

Data flows one way: inventory (YAML) -> typed models + topology -> scheduler/CLI/API -> runner -> drivers ->
store -> metrics/API/CLI output. See docs/architecture.md.
"""

__version__ = "0.1.0"
