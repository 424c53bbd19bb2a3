//! (placeholder: being implemented)
