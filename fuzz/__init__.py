"""Coverage-guided fuzzing of pixelproof's parsers of untrusted bytes (atheris).

One harness per target (``fuzz_<name>.py``), each with the exceptions that target may
raise for bad input; anything else escaping, a hang or a crash is a finding. See
``fuzz/run.py`` for running them and ``fuzz/make_corpus.py`` for the seed corpus.
"""
