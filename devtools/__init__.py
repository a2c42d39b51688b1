"""Tools for developing and testing novelproc, outside the product: the fake Gemini server."""
