//! End-to-end test support lives in the test binaries; this library is intentionally empty.
