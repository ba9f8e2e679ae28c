"""Tests of the lab codecs, MCU and probe reflectors (netops.lab.codec) and the probe clients."""
