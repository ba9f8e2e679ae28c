"""The lab's video-conference endpoints: for each codec and MCU, an HTTP status API (Cisco xAPI style),
a SIP OPTIONS responder and a TWAMP-light probe reflector on the device's 127.x address.

    lab = await start_codecs(world, secrets)   # LabError if an address cannot be bound
    ...
    await lab.close()

See ``docs/lab-codec.md``. The clients that talk to these (and to real codecs and reflectors) live in
``netops.drivers.probes``.
"""

from netops.lab.codec.lab import CodecLab, start_codecs

__all__ = ["CodecLab", "start_codecs"]
