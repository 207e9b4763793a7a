"""`bb.compress`: compressed file helpers."""
