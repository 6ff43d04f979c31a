//! Local-file state backend with O_EXCL lock file and atomic writes
