"""One task per command: what ``pixelproof <command>`` does with one decoded image.

Each module holds a :class:`~pixelproof.runner.Task` and its typed result; the runner
(:func:`pixelproof.runner.run`) handles inputs, loading, errors and workers, and the
command line and the HTTP service only parse options and render rows.

========================  ==============================================
command                   task
========================  ==============================================
``scan``                  :class:`~pixelproof.tasks.scan.ScanTask`
``forensics``             :class:`~pixelproof.tasks.forensics.ForensicsTask`
``detect``                :class:`~pixelproof.tasks.detect.SyntheticTask`
``meta``                  :class:`~pixelproof.tasks.meta.MetaTask`
``credentials verify``    :class:`~pixelproof.tasks.meta.VerifyTask`
``watermark embed``       :class:`~pixelproof.tasks.watermark.EmbedTask`
``watermark detect``      :class:`~pixelproof.tasks.watermark.DetectTask`
``index add``, ``match``  :mod:`pixelproof.tasks.match`
``dedup``                 :mod:`pixelproof.tasks.match`
========================  ==============================================
"""
