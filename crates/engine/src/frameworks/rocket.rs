//! Rocket 0.5: route attributes and `routes![..]` mounted with `mount(base, ..)`.

use crate::extract::Collector;

pub struct Rocket;

impl Collector for Rocket {}
