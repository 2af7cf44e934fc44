//! Data sets: the built-in default set, seeded synthetic sets with their true densities and
//! scores, and the line a collinear set lies on.

pub mod builtin;
pub mod line_fit;
pub mod mnist;
pub mod synthetic;
