//! Parallel apply of a contin Plan with state checkpointing and cancellation
