"""Generated evidence is what its generator made from its source file."""
