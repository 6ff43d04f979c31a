//! local provider: local_file, null_resource, local_exec with real local effects
