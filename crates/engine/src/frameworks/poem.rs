//! poem: `#[handler]` fns on `Route::new().at(..)`, `.nest`, `.with`; poem-openapi `#[oai]` methods.

use crate::extract::Collector;

pub struct Poem;

impl Collector for Poem {}
