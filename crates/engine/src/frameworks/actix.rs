//! actix-web 4: route attributes, `App`/`Scope` services, `web::resource`, `.configure`; `.wrap` covers its container.

use crate::extract::Collector;

pub struct Actix;

impl Collector for Actix {}
