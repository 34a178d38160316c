"""Hardware-in-the-loop: protocol, results, farm and nightly runs."""
