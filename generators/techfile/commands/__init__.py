"""The ``techfile`` subcommands: one module each, with ``register(commands)``
adding its parser and handler. Evidence kinds add theirs (``techfile
junit``) from their own packages."""
