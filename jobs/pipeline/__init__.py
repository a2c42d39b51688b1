"""The text pipeline: PDF → cleaned source sentences → short sentences.

Plain Python (no Django), so it can be tested and benchmarked on its own.
Modules: ``pdf`` (pypdf in a sandboxed child process), ``chunking`` (page
ranges), ``cleaning`` (page text → lines), ``segment`` (paragraph →
sentences), ``text`` (sentence ownership per chunk), ``words`` (what a word
is), ``engines`` (the one entry point to both engines: ``local_engine``,
spaCy-based splitting to a word limit, and the Gemini engine: ``gemini_prompt``, the prompt contract;
``gemini_calls``, the client, retries and errors; ``gemini_engine``, a
chunk's answer and its repairs), ``figures``
(the shape of the engine's quality figures) and ``quality`` (measuring a
book against its reference).
"""
