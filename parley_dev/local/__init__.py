"""The local stack: resources on the embedded AWS emulator, demo data, the event pump."""
