"""Boards as data, board support C, firmware builds, flashing and the emulated boards."""
