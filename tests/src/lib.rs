//! hl-tests
