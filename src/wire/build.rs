//! Builders for the frames the stack sends (owned by the stack work).
