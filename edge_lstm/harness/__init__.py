"""Serial harness: talk to a board running the edge-lstm firmware app.

protocol.py (the one definition, generated into el_protocol.h by cgen.py), cobs.py, crc.py,
framing.py and messages.py (bytes), link.py (transport, timeouts, retries), device.py (the API).
"""
